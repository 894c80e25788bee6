import { EventEmitter } from "node:events";
import { type IncomingMessage, STATUS_CODES, type ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import type { DescMethod, Message, Registry } from "@bufbuild/protobuf";
import { createRequire } from "node:module";
import type { WebSocket, WebSocketServer } from "ws";
import type { CallContext } from "../core/call-context.js";
import { errorBody } from "../core/error-body.js";
import { publicError } from "./error-redaction.js";
import { type CallSetup, gatewayContext } from "./gateway-context.js";
import { type RequestDecodeOptions, RequestMessageBuilder } from "../core/request-message.js";
import { type ResponseEncodeOptions, ResponseJsonWriter } from "../core/response-message.js";
import { toMessage } from "./response-stream.js";
import { HttpStatusError, httpStatusOf } from "../core/http-status-error.js";
import type { RouteSpec } from "../core/route-spec.js";
import { Code, RpcError } from "../core/rpc-error.js";
import { limitStreamDuration, requestStream } from "./streaming-handler.js";
import type { MessageCheck, PipelineCall } from "./pipeline.js";
import type { RequestCheck } from "./request-checks.js";
import { requireOptionalPeer } from "../util/optional-peer.js";

const require = createRequire(import.meta.url);

/**
 * WebSocket close code of a call that ended OK. A failed call closes with
 * `4000 + <gRPC code>` (4001 CANCELLED … 4016 UNAUTHENTICATED) and, as reason,
 * the `google.rpc.Status` JSON when it fits the 123 bytes a reason may have
 * (otherwise `{"code":…,"message":…}` with the message cut to fit).
 */
export const webSocketCloseOk = 1000;
/** Added to a gRPC code to make the close code of a failed call. */
export const webSocketCloseErrorBase = 4000;

/** The option values a WebSocket route uses. @internal */
export interface WebSocketOptions {
  readonly decode: RequestDecodeOptions;
  readonly json: ResponseEncodeOptions;
  readonly setup: CallSetup;
  readonly errors: { readonly registry: Registry; readonly redactInternalErrors: boolean };
  /** Ping interval; 0 = no pings. */
  readonly heartbeatIntervalMs: number;
  /** A client that takes no message for this long is dropped; 0 = never. */
  readonly streamIdleTimeoutMs: number;
  /** A socket open this long is closed (DEADLINE_EXCEEDED); 0 = no limit. */
  readonly maxStreamDurationMs: number;
  /** Browser origins allowed to upgrade (see the `allowedOrigins` option). */
  readonly allowedOrigins: readonly string[] | ((origin: string) => boolean) | undefined;
}

/** Serves one matched upgrade request. @internal */
export type UpgradeHandler = (
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  params: Array<[string, string]>,
  query: string,
  call: PipelineCall | undefined,
) => void;

/**
 * The mux's WebSocket server: no HTTP server of its own, one message at most
 * `maxRequestBytes`. A handshake `ws` refuses (not GET, a bad
 * `Sec-WebSocket-Key`…) is answered with the `google.rpc.Status` JSON instead
 * of `ws`'s text/html page. @internal
 */
export function createWebSocketServer(
  maxRequestBytes: number,
  registry: Registry,
): WebSocketServer {
  // `ws` is an optional peer, loaded only by a mux with the `webSocket` option.
  const ws = requireOptionalPeer("ws", "the webSocket option", () =>
    require("ws"),
  ) as typeof import("ws");
  const server = new ws.WebSocketServer({
    noServer: true,
    maxPayload: maxRequestBytes,
    perMessageDeflate: false,
  });
  server.on("error", () => {}); // never emitted without an HTTP server of its own; kept harmless
  server.on("wsClientError", (error: Error, socket: Duplex) => {
    const wrongMethod = error.message === "Invalid HTTP method";
    rejectUpgrade(
      socket,
      new HttpStatusError(
        `WebSocket handshake refused: ${error.message}`,
        wrongMethod ? Code.Unimplemented : Code.InvalidArgument,
        wrongMethod ? 405 : 400,
      ),
      registry,
      undefined,
      wrongMethod ? { Allow: "GET" } : { "Sec-WebSocket-Version": "13" },
    );
  });
  return server;
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
  options: WebSocketOptions,
  server: WebSocketServer,
  checkRequest: RequestCheck | undefined,
): UpgradeHandler {
  const registry = options.errors.registry;
  const idleMs = options.streamIdleTimeoutMs;
  const kind = method.methodKind;
  const builder = new RequestMessageBuilder(
    method.input,
    kind !== "server_streaming" && (route.body ?? "") === "" ? { ...route, body: "*" } : route,
    options.decode,
  );
  const writer = new ResponseJsonWriter(method.output, route.responseBody, options.json);
  return (req, socket, head, params, query, pipeline) => {
    if (!originAllowed(req, options.allowedOrigins)) {
      rejectUpgrade(
        socket,
        new HttpStatusError(
          `WebSocket upgrade from origin ${JSON.stringify(req.headers.origin)} refused`,
          Code.PermissionDenied,
          403,
        ),
        registry,
        pipeline,
      );
      return;
    }
    // gatewayContext cancels the call when its response closes unfinished; the socket plays the response.
    const lifecycle = Object.assign(new EventEmitter(), { writableFinished: false });
    const context = gatewayContext(
      req,
      lifecycle as unknown as ServerResponse,
      options.setup,
      pipeline,
    );
    if (context instanceof RpcError) {
      rejectUpgrade(socket, context, registry, pipeline);
      return;
    }
    limitStreamDuration(context, lifecycle, options.maxStreamDurationMs);
    let request: unknown;
    if (kind === "server_streaming" && !builder.hasBody) {
      request = builder.build(undefined, params, query);
      if (request instanceof RpcError) {
        rejectUpgrade(socket, request, registry, pipeline);
        return;
      }
      if (pipeline !== undefined) pipeline.outcome.messagesIn = 1;
    }
    upgrade(server, req, socket, head, pipeline, (ws) => {
      // A malformed frame (oversize, unmasked, reserved opcode) is an 'error' here; ws then
      // closes the socket with its close code (1009, 1002), and 'close' below cancels the call.
      ws.on("error", () => {});
      const frames = new FrameQueue(ws, pipeline?.messageChecks, (error) => {
        frames.fail(error);
        context.cancel(error);
      });
      const requests = requestStream(
        frames,
        builder,
        params,
        query,
        context,
        pipeline,
        checkRequest,
      );
      const heartbeat = keepAlive(ws, options.heartbeatIntervalMs);
      ws.once("close", () => {
        heartbeat();
        frames.fail(new RpcError("WebSocket closed", Code.Cancelled));
        lifecycle.emit("close");
      });
      const finish = (error: RpcError | undefined) => {
        if (pipeline !== undefined) {
          if (error === undefined) pipeline.succeed();
          else pipeline.fail(error);
        }
        lifecycle.writableFinished = true;
        if (ws.readyState !== ws.OPEN) return;
        if (error === undefined) ws.close(webSocketCloseOk);
        else ws.close(webSocketCloseErrorBase + error.code, closeReason(error, options.errors));
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
          await send(ws, writer.write(toMessage(method.output, response)), idleMs, pipeline);
          return;
        }
        if (kind === "server_streaming" && builder.hasBody) {
          const first = await requests.messages[Symbol.asyncIterator]().next();
          if (first.done === true)
            throw new RpcError("the stream ended before its request message", Code.InvalidArgument);
          request = first.value;
        } else if (kind === "server_streaming" && checkRequest !== undefined) {
          await checkRequest(request as Message, pipeline);
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
          await send(ws, writer.write(toMessage(method.output, next.value)), idleMs, pipeline);
        }
      }
    });
  };
}

/**
 * Answers an upgrade request with an HTTP error and the `google.rpc.Status`
 * body, and the headers middlewares set.
 * @internal
 */
/**
 * Gives an upgrade request's socket an `'error'` listener: Node removes its
 * own once it hands the socket to the `'upgrade'` event, and a reset
 * (ECONNRESET) before `ws` adds one would otherwise end the process. Idempotent. @internal
 */
export function guardSocket(socket: Duplex): void {
  if (socket.listeners("error").includes(destroyOnError)) return;
  socket.on("error", destroyOnError);
}

function destroyOnError(this: Duplex): void {
  this.destroy();
}

/** How long a refused upgrade's socket may keep sending (its body) after the answer before it is destroyed. */
const rejectLingerMs = 1000;

export function rejectUpgrade(
  socket: Duplex,
  error: RpcError,
  registry: Registry,
  pipeline?: PipelineCall,
  headers: Readonly<Record<string, string>> = {},
): void {
  guardSocket(socket);
  const status = httpStatusOf(error);
  const body = errorBody(error, registry);
  let extra = "";
  for (const [name, value] of Object.entries(headers)) extra += `${name}: ${value}\r\n`;
  if (pipeline !== undefined) {
    pipeline.fail(error);
    pipeline.upgradeStatus = status;
    pipeline.outcome.bytesOut += Buffer.byteLength(body);
    for (const [name, value] of pipeline.upgradeHeaders ?? []) {
      for (const v of typeof value === "string" ? [value] : value) extra += `${name}: ${v}\r\n`;
    }
  }
  if (!socket.destroyed && socket.writable) {
    // What the client still sends (a body) is read and dropped, so the answer is
    // not lost to a reset; the socket goes once the client closes its side, or
    // after rejectLingerMs at most.
    const linger = setTimeout(() => socket.destroy(), rejectLingerMs);
    linger.unref();
    socket.once("close", () => clearTimeout(linger));
    socket.once("end", () => socket.destroy());
    socket.resume();
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ""}\r\n` +
        "Content-Type: application/json\r\n" +
        `Content-Length: ${Buffer.byteLength(body)}\r\n` +
        extra +
        "Connection: close\r\n\r\n" +
        body,
    );
  } else {
    socket.destroy();
  }
  pipeline?.end(status, false);
}

/**
 * Whether an upgrade request's `Origin` may open a WebSocket: requests without
 * `Origin` (not from a browser) may; a browser's must be listed in
 * `allowedOrigins` (or pass it, a predicate), and by default must be the
 * request's own host (`Origin: https://app.example` for `Host: app.example`),
 * which stops cross-site WebSocket hijacking with the user's cookies. @internal
 */
export function originAllowed(
  req: IncomingMessage,
  allowed: WebSocketOptions["allowedOrigins"],
): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  if (typeof allowed === "function") return allowed(origin);
  if (allowed !== undefined) return allowed.includes(origin.toLowerCase());
  let host: string;
  try {
    host = new URL(origin).host;
  } catch {
    return false; // "null" (sandboxed pages, file:) or garbage
  }
  return host !== "" && host === req.headers.host?.toLowerCase();
}

/** The close reason of a failed call: its status JSON, cut to the 123 bytes a reason may hold. */
export function closeReason(failure: RpcError, errors: WebSocketOptions["errors"]): string {
  const error = publicError(failure, errors.redactInternalErrors);
  const full = errorBody(error, errors.registry);
  if (Buffer.byteLength(full) <= 123) return full;
  const chars = [...error.rawMessage];
  for (;;) {
    const reason = JSON.stringify({ code: error.code, message: chars.join("") });
    if (Buffer.byteLength(reason) <= 123 || chars.length === 0) return reason;
    chars.pop();
  }
}

/**
 * Completes an accepted upgrade, with the headers middlewares set on the 101
 * (ws emits `'headers'` synchronously while it writes the response).
 */
function upgrade(
  server: WebSocketServer,
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  pipeline: PipelineCall | undefined,
  accepted: (ws: WebSocket) => void,
): void {
  if (pipeline === undefined) {
    server.handleUpgrade(req, socket, head, accepted);
    return;
  }
  pipeline.upgradeStatus = 101;
  const extra = pipeline.upgradeHeaders;
  if (extra === undefined) {
    server.handleUpgrade(req, socket, head, accepted);
    return;
  }
  const onHeaders = (headers: string[], request: IncomingMessage) => {
    if (request !== req) return;
    for (const [name, value] of extra) {
      for (const v of typeof value === "string" ? [value] : value) headers.push(`${name}: ${v}`);
    }
  };
  server.on("headers", onHeaders);
  try {
    server.handleUpgrade(req, socket, head, accepted);
  } finally {
    server.off("headers", onHeaders);
  }
}

/**
 * Sends a text frame; waits for the socket to take it when much is already
 * buffered (backpressure). A client that takes nothing for `idleMs` is dropped.
 */
function send(ws: WebSocket, text: string, idleMs: number, pipeline?: PipelineCall): Promise<void> {
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
