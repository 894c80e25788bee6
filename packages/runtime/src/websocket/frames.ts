import type { WebSocket } from "ws";
import { Code, RpcError } from "../core/rpc-error.js";
import type { MessageCheck, PipelineCall } from "../pipeline/pipeline.js";

// Frames on an open socket: sending with backpressure, pings, and the
// incoming text frames as a stream of request messages.

/**
 * Sends a text frame; waits for the socket to take it when much is already
 * buffered (backpressure). A client that takes nothing for `idleMs` is dropped.
 */
export function send(
  ws: WebSocket,
  text: string,
  idleMs: number,
  pipeline?: PipelineCall,
): Promise<void> {
  if (pipeline !== undefined) {
    pipeline.outcome.messagesOut++;
    pipeline.outcome.bytesOut += Buffer.byteLength(text);
  }
  if (ws.bufferedAmount < 64 * 1024) {
    ws.send(text);
    return Promise.resolve();
  }
  return new Promise((resolve) => {
    const ms = idleMs;
    const timer = ms > 0 ? setTimeout(() => ws.terminate(), ms) : undefined;
    ws.send(text, () => {
      if (timer !== undefined) clearTimeout(timer);
      resolve();
    });
  });
}

/** Pings every `intervalMs`; terminates a socket that answered none of the last two pings. Returns a stop function. */
export function keepAlive(ws: WebSocket, intervalMs: number): () => void {
  if (intervalMs <= 0) return () => {};
  let missed = 0;
  ws.on("pong", () => {
    missed = 0;
  });
  const timer = setInterval(() => {
    if (missed >= 2) {
      ws.terminate();
      return;
    }
    missed++;
    ws.ping();
  }, intervalMs);
  return () => clearInterval(timer);
}

/**
 * The text frames of a socket as an async iterable of JSON messages, ended by
 * an empty frame (half-close). The socket is paused while 16 frames wait.
 */
export class FrameQueue implements AsyncIterable<Buffer> {
  readonly #ws: WebSocket;
  readonly #queue: Buffer[] = [];
  #ended = false;
  #error: RpcError | undefined;
  #wake: (() => void) | undefined;
  #paused = false;
  /** Frames whose checks run (see `checks` below), in arrival order. */
  #checked: Promise<void> = Promise.resolve();
  #checking = 0;

  /**
   * `checks` (the pipeline's message checks) run for each non-empty frame in
   * order before it is queued; one that throws calls `refuse` with its error.
   */
  constructor(
    ws: WebSocket,
    checks: readonly MessageCheck[] | undefined,
    refuse: (error: RpcError) => void,
  ) {
    this.#ws = ws;
    ws.on("message", (data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean) => {
      if (this.#ended) return;
      if (isBinary) {
        this.fail(
          new RpcError("binary frames are not supported: send JSON text", Code.InvalidArgument),
        );
        return;
      }
      const frame = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as Buffer);
      if (checks === undefined || (frame.length === 0 && this.#checking === 0)) {
        this.#push(frame);
        return;
      }
      this.#checking++;
      this.#pause();
      this.#checked = this.#checked.then(async () => {
        try {
          if (frame.length > 0) for (const check of checks) await check();
        } catch (err) {
          if (!this.#ended) refuse(RpcError.from(err, Code.ResourceExhausted));
        }
        this.#checking--;
        if (!this.#ended) this.#push(frame);
      });
    });
  }

  #push(frame: Buffer): void {
    if (frame.length === 0) this.#ended = true;
    else this.#queue.push(frame);
    this.#pause();
    this.#notify();
  }

  /** Stops reading the socket while 16 frames wait (queued or being checked). */
  #pause(): void {
    if (this.#queue.length + this.#checking >= 16 && !this.#paused) {
      this.#paused = true;
      this.#ws.pause();
    }
  }

  /** Ends the stream with an error (unless it already ended). */
  fail(error: RpcError): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#error = error;
    this.#notify();
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Buffer> {
    for (;;) {
      const frame = this.#queue.shift();
      if (frame !== undefined) {
        if (this.#paused && this.#queue.length + this.#checking < 4) {
          this.#paused = false;
          this.#ws.resume();
        }
        yield frame;
        continue;
      }
      if (this.#error !== undefined) throw this.#error;
      if (this.#ended) return;
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
      });
    }
  }
}
