import { EventEmitter } from "node:events";
import { type IncomingMessage, type Server, STATUS_CODES, type ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import type { DescMethod } from "@bufbuild/protobuf";
import { type WebSocket, WebSocketServer } from "ws";
import type { CallContext } from "../core/call-context.js";
import { errorBody } from "../core/error-body.js";
import { gatewayContext } from "./gateway-context.js";
import type { Mux } from "./mux.js";
import type { ResolvedMuxOptions } from "./mux-options.js";
import { RequestMessageBuilder } from "../core/request-message.js";
import { ResponseJsonWriter } from "../core/response-message.js";
import { toMessage } from "./response-stream.js";
import { httpStatusOf } from "../core/http-status-error.js";
import type { RouteSpec } from "../core/route-spec.js";
import { Code, RpcError } from "../core/rpc-error.js";
import { requestStream } from "./streaming-handler.js";

/**
 * WebSocket close code of a call that ended OK. A failed call closes with
 * `4000 + <gRPC code>` (4001 CANCELLED … 4016 UNAUTHENTICATED) and, as reason,
 * the `google.rpc.Status` JSON when it fits the 123 bytes a reason may have
 * (otherwise `{"code":…,"message":…}` with the message cut to fit).
 */
export const webSocketCloseOk = 1000;
/** Added to a gRPC code to make the close code of a failed call. */
export const webSocketCloseErrorBase = 4000;

/** Serves one matched upgrade request. @internal */
export type UpgradeHandler = (
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  params: Array<[string, string]>,
  query: string,
) => void;

/** The mux's WebSocket server: no HTTP server of its own, one message at most `maxRequestBytes`. @internal */
export function createWebSocketServer(options: ResolvedMuxOptions): WebSocketServer {
  return new WebSocketServer({
    noServer: true,
    maxPayload: options.maxRequestBytes,
    perMessageDeflate: false,
  });
}

/**
 * Serves a streaming method over WebSocket on its HTTP route's template:
 *
 * - The upgrade request's headers become metadata (the mux's header rules,
 *   `Grpc-Timeout`), as for HTTP; a bad header answers the HTTP error instead
 *   of upgrading.
 * - Each text frame is one JSON request message (path variables and query
 *   apply to each); an empty text frame half-closes the request stream (a
 *   browser can send it, unlike a TCP half-close). Binary frames are refused.
 *   A server-streaming route without body calls at once; with a body, its
 *   request is the first frame.
 * - Each response message is one text frame of its JSON (`response_body`
 *   applies); the socket then closes with {@link webSocketCloseOk} or
 *   `4000 + code` and the status as reason.
 * - When the call's deadline passes, the socket closes at once with 4004
 *   (DEADLINE_EXCEEDED), whatever the backend is doing; its stream is stopped.
 * - The server pings every `heartbeatIntervalMs`; a client that answered
 *   none of the last two pings is dropped. A socket closed by the client
 *   before the call ends cancels the call.
 * @internal
 */
export function webSocketHandler(
  method: DescMethod,
  route: RouteSpec,
  call: (request: unknown, context: unknown) => unknown,
  options: ResolvedMuxOptions,
  server: WebSocketServer,
): UpgradeHandler {
  const kind = method.methodKind;
  const builder = new RequestMessageBuilder(
    method.input,
    kind !== "server_streaming" && (route.body ?? "") === "" ? { ...route, body: "*" } : route,
    options,
  );
  const writer = new ResponseJsonWriter(method.output, route.responseBody, options);
  return (req, socket, head, params, query) => {
    // gatewayContext cancels the call when its response closes unfinished; the socket plays the response.
    const lifecycle = Object.assign(new EventEmitter(), { writableFinished: false });
    const context = gatewayContext(req, lifecycle as unknown as ServerResponse, options);
    if (context instanceof RpcError) {
      rejectUpgrade(socket, context, options);
      return;
    }
    let request: unknown;
    if (kind === "server_streaming" && !builder.hasBody) {
      request = builder.build(undefined, params, query);
      if (request instanceof RpcError) {
        rejectUpgrade(socket, request, options);
        return;
      }
    }
    server.handleUpgrade(req, socket, head, (ws) => {
      const frames = new FrameQueue(ws);
      const requests = requestStream(frames, builder, params, query, context);
      const heartbeat = keepAlive(ws, options.heartbeatIntervalMs);
      ws.once("close", () => {
        heartbeat();
        frames.fail(new RpcError("WebSocket closed", Code.Cancelled));
        lifecycle.emit("close");
      });
      const finish = (error: RpcError | undefined) => {
        lifecycle.writableFinished = true;
        if (ws.readyState !== ws.OPEN) return;
        if (error === undefined) ws.close(webSocketCloseOk);
        else ws.close(webSocketCloseErrorBase + error.code, closeReason(error, options));
      };
      let responses: AsyncIterator<unknown> | undefined;
      // The deadline (or a cancellation) ends the socket even while the backend ignores its signal.
      context.onEnd((reason) => {
        finish(requests.errorOf(reason));
        responses?.return?.().catch(() => {});
      });
      if (lifecycle.writableFinished) return; // already past its deadline: no call
      serve(requests.context)
        .then(() => finish(undefined))
        .catch((err: unknown) => finish(requests.errorOf(err)));

      async function serve(ctx: CallContext): Promise<void> {
        if (kind === "client_streaming") {
          const response = await call(requests.messages, ctx);
          await send(ws, writer.write(toMessage(method.output, response)));
          return;
        }
        if (kind === "server_streaming" && builder.hasBody) {
          const first = await requests.messages[Symbol.asyncIterator]().next();
          if (first.done === true)
            throw new RpcError("the stream ended before its request message", Code.InvalidArgument);
          request = first.value;
        }
        const iterable = (await (kind === "bidi_streaming"
          ? call(requests.messages, ctx)
          : call(request, ctx))) as AsyncIterable<unknown>;
        const iterator = iterable[Symbol.asyncIterator]();
        responses = iterator;
        for (;;) {
          if (ws.readyState !== ws.OPEN) {
            iterator.return?.().catch(() => {});
            return;
          }
          const next = await iterator.next();
          if (next.done === true) return;
          if (ws.readyState !== ws.OPEN) {
            iterator.return?.().catch(() => {});
            return;
          }
          await send(ws, writer.write(toMessage(method.output, next.value)));
        }
      }
    });
  };
}

/**
 * Serves a mux's WebSocket routes on an HTTP server's `'upgrade'` event;
 * upgrade requests no route matches get a 404. Returns a function that
 * detaches it. To share the event with other handlers, call
 * `mux.handleUpgrade` yourself: it returns false when no route matched.
 */
export function attachWebSocket(server: Server, mux: Mux): () => void {
  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (!mux.handleUpgrade(req, socket, head)) {
      rejectUpgrade(
        socket,
        new RpcError(`no WebSocket route for ${req.url}`, Code.NotFound),
        mux.options,
      );
    }
  };
  server.on("upgrade", onUpgrade);
  return () => server.off("upgrade", onUpgrade);
}

/** Answers an upgrade request with an HTTP error and the `google.rpc.Status` body. @internal */
export function rejectUpgrade(socket: Duplex, error: RpcError, options: ResolvedMuxOptions): void {
  const status = httpStatusOf(error);
  const body = errorBody(error, options.registry);
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ""}\r\n` +
      "Content-Type: application/json\r\n" +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      "Connection: close\r\n\r\n" +
      body,
  );
}

/** The close reason of a failed call: its status JSON, cut to the 123 bytes a reason may hold. */
export function closeReason(error: RpcError, options: ResolvedMuxOptions): string {
  const full = errorBody(error, options.registry);
  if (Buffer.byteLength(full) <= 123) return full;
  const chars = [...error.rawMessage];
  for (;;) {
    const reason = JSON.stringify({ code: error.code, message: chars.join("") });
    if (Buffer.byteLength(reason) <= 123 || chars.length === 0) return reason;
    chars.pop();
  }
}

/** Sends a text frame; waits for the socket to take it when much is already buffered (backpressure). */
function send(ws: WebSocket, text: string): Promise<void> {
  if (ws.bufferedAmount < 64 * 1024) {
    ws.send(text);
    return Promise.resolve();
  }
  return new Promise((resolve) => ws.send(text, () => resolve()));
}

/** Pings every `intervalMs`; terminates a socket that answered none of the last two pings. Returns a stop function. */
function keepAlive(ws: WebSocket, intervalMs: number): () => void {
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
class FrameQueue implements AsyncIterable<Buffer> {
  readonly #ws: WebSocket;
  readonly #queue: Buffer[] = [];
  #ended = false;
  #error: RpcError | undefined;
  #wake: (() => void) | undefined;
  #paused = false;

  constructor(ws: WebSocket) {
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
      if (frame.length === 0) this.#ended = true;
      else this.#queue.push(frame);
      if (this.#queue.length >= 16 && !this.#paused) {
        this.#paused = true;
        ws.pause();
      }
      this.#notify();
    });
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
        if (this.#paused && this.#queue.length < 4) {
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
