import type { IncomingMessage, ServerResponse } from "node:http";
import type { Socket } from "node:net";
import type { Registry } from "@bufbuild/protobuf";
import { errorBody } from "../core/error-body.js";
import { Code, RpcError } from "../core/rpc-error.js";

/**
 * A minimum data rate, as Kestrel's `MinDataRate`: after `gracePeriodMs`, the
 * average rate since the transfer started must be at least `bytesPerSecond`.
 * `bytesPerSecond: 0` turns the bound off.
 */
export interface MinDataRate {
  readonly bytesPerSecond: number;
  readonly gracePeriodMs: number;
}

/** Kestrel's defaults for both directions: 240 bytes/s after 5 s. */
export const defaultMinDataRate: MinDataRate = { bytesPerSecond: 240, gracePeriodMs: 5000 };

/**
 * Validates a rate option.
 * @throws RangeError for a negative or non-finite value. @internal
 */
export function checkMinDataRate(name: string, rate: MinDataRate): MinDataRate {
  for (const [key, value] of Object.entries(rate)) {
    if (!Number.isFinite(value) || value < 0) {
      throw new RangeError(`${name}.${key} must be a non-negative number, got ${value}`);
    }
  }
  return rate;
}

/**
 * Bounds the rate of a request's body (Kestrel's `MinRequestBodyDataRate`):
 * a body still incomplete when its average rate since the request arrived
 * falls under the minimum, once the grace period is over, gets a 408
 * `google.rpc.Status` (if nothing was answered yet) and loses its connection.
 * A client trickling a byte a second cannot hold a connection for the whole
 * request timeout. The rate counts the socket's bytes, so it holds whatever
 * reads the body, and a body the gateway no longer reads (answered early) too.
 * @internal
 */
export function watchRequestBodyRate(
  req: IncomingMessage,
  res: ServerResponse,
  rate: MinDataRate,
  registry: Registry,
): void {
  if (req.complete || !hasBody(req)) return;
  const socket = req.socket;
  const start = Date.now();
  const base = socket.bytesRead;
  let timer: NodeJS.Timeout | undefined;
  const check = () => {
    if (req.complete) return;
    const elapsedMs = Date.now() - start;
    const received = socket.bytesRead - base;
    if ((received * 1000) / elapsedMs < rate.bytesPerSecond) {
      refuseSlowBody(
        res,
        socket,
        `request body arrived slower than ${rate.bytesPerSecond} bytes/s`,
        registry,
      );
      return;
    }
    // The earliest moment the average can fall under the minimum if nothing more arrives.
    const due = (received * 1000) / rate.bytesPerSecond - elapsedMs;
    timer = setTimeout(check, Math.max(250, due));
    timer.unref();
  };
  timer = setTimeout(check, rate.gracePeriodMs);
  timer.unref();
  const done = () => clearTimeout(timer);
  req.once("end", done);
  req.once("close", done);
}

/**
 * Bounds the rate at which a client takes a response the handler has ended
 * (Kestrel's `MinResponseDataRate`): while Node still holds unsent bytes of
 * it because the client does not read, each grace period must see at least
 * `bytesPerSecond × gracePeriodMs` of them go, or the connection is closed.
 * (Per period rather than averaged from the start: the kernel's buffers take
 * megabytes at once, an average that would take hours to fall.) Streams are
 * not concerned until they end: while they write, their own idle bound
 * applies (`streamIdleTimeoutMs`). A response whose bytes the kernel took at
 * once (most) costs no timer.
 * @internal
 */
export function watchResponseRate(res: ServerResponse, rate: MinDataRate): void {
  res.once("prefinish", () => {
    const socket = res.socket as Socket | null;
    if (socket === null || socket.destroyed || socket.writableLength === 0) return;
    const periodMs = Math.max(rate.gracePeriodMs, 1000);
    const minBytes = (rate.bytesPerSecond * periodMs) / 1000;
    let pending = unsent(socket);
    let timer: NodeJS.Timeout | undefined;
    const check = () => {
      if (res.writableFinished || socket.destroyed) return;
      const now = unsent(socket);
      // More unsent than before: a chunk went out whole and the next one was handed over.
      if (now <= pending && pending - now < minBytes) {
        socket.destroy();
        return;
      }
      pending = now;
      timer = setTimeout(check, periodMs);
      timer.unref();
    };
    timer = setTimeout(check, periodMs);
    timer.unref();
    const done = () => clearTimeout(timer);
    res.once("finish", done);
    res.once("close", done);
  });
}

/**
 * Bytes of a socket's current write the kernel has not taken yet: libuv's
 * write queue, which shrinks as the client reads (`writableLength` keeps a
 * chunk whole until all of it went). `writableLength` where there is no such
 * handle.
 */
function unsent(socket: Socket): number {
  const queued = (socket as { _handle?: { writeQueueSize?: unknown } | null })._handle
    ?.writeQueueSize;
  return typeof queued === "number" ? queued : socket.writableLength;
}

/** Whether a request announces a body (a length other than 0, or chunks). @internal */
export function hasBody(req: IncomingMessage): boolean {
  const length = req.headers["content-length"];
  return req.headers["transfer-encoding"] !== undefined || (length !== undefined && length !== "0");
}

/**
 * Answers a request whose body is late with a 408 `google.rpc.Status`
 * (DEADLINE_EXCEEDED) and closes its connection; only closes it when an
 * answer already started. @internal
 */
export function refuseSlowBody(
  res: ServerResponse,
  socket: Socket,
  message: string,
  registry: Registry,
): void {
  if (res.headersSent || res.destroyed) {
    socket.destroy();
    return;
  }
  const body = errorBody(new RpcError(message, Code.DeadlineExceeded), registry);
  res.writeHead(408, {
    "Content-Type": "application/json",
    "Content-Length": Buffer.byteLength(body),
    Connection: "close",
  });
  res.end(body, () => socket.destroy());
  setTimeout(() => socket.destroy(), 1000).unref();
}
