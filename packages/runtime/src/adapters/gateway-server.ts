import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import { errorBody } from "../core/error-body.js";
import { HttpStatusError } from "../core/http-status-error.js";
import { Code, RpcError } from "../core/rpc-error.js";
import type { Mux } from "../mux/mux.js";
import { type ResolvedMuxOptions, resolveMuxOptions } from "../mux/mux-options.js";
import { guardSocket, rejectUpgrade } from "../websocket/upgrade.js";

/**
 * Bounds of a gateway's `http.Server`, applied by {@link gatewayServer}. The
 * defaults are nginx's (a gateway facing clients directly should hold what
 * a trusted proxy holds); 0 turns a timeout off.
 */
export interface ServerLimits {
  /** Longest time to receive a request's headers (slow-header clients get a 408). Default 60 000 (nginx `client_header_timeout`). */
  headersTimeoutMs?: number | undefined;
  /** Longest pause between two reads of a request body (a 408). Default 60 000 (nginx `client_body_timeout`). */
  bodyIdleTimeoutMs?: number | undefined;
  /** Longest time to receive a whole request, headers and body. Default 300 000 (Node's `requestTimeout`). */
  requestTimeoutMs?: number | undefined;
  /** How long an idle keep-alive connection stays open. Default 75 000 (nginx `keepalive_timeout`). */
  keepAliveTimeoutMs?: number | undefined;
  /** Open connections at most (WebSockets included); more are refused. Default 512 (nginx `worker_connections`). */
  maxConnections?: number | undefined;
}

/** Limits after defaults. @internal */
export type ResolvedServerLimits = { [K in keyof ServerLimits]-?: number };

/** @internal */
export function resolveServerLimits(limits: ServerLimits = {}): ResolvedServerLimits {
  return {
    headersTimeoutMs: limits.headersTimeoutMs ?? 60_000,
    bodyIdleTimeoutMs: limits.bodyIdleTimeoutMs ?? 60_000,
    requestTimeoutMs: limits.requestTimeoutMs ?? 300_000,
    keepAliveTimeoutMs: limits.keepAliveTimeoutMs ?? 75_000,
    maxConnections: limits.maxConnections ?? 512,
  };
}

/** Options of {@link gatewayServer}. */
export interface GatewayServerOptions extends ServerLimits {
  /** The mux whose error format (its registry) the server's own errors use. */
  mux?: Mux;
}

/**
 * Makes an `http.Server` fit to face clients: applies {@link ServerLimits},
 * answers Node's own parser and timeout errors (400, 408, 413, 431, through
 * its `'clientError'` event) with the `google.rpc.Status` JSON instead of an
 * empty body, and gives every connection an `'error'` listener from the
 * moment it exists. Call it once, before `listen`. Returns the server.
 */
export function gatewayServer<S extends Server>(server: S, options: GatewayServerOptions = {}): S {
  const limits = resolveServerLimits(options);
  const muxOptions = options.mux?.options ?? resolveMuxOptions();
  server.headersTimeout = limits.headersTimeoutMs;
  server.requestTimeout = limits.requestTimeoutMs;
  server.keepAliveTimeout = limits.keepAliveTimeoutMs;
  server.maxConnections = limits.maxConnections;
  // Node checks the two request timeouts on this interval (default 30 s): make small ones exact enough.
  const check = Math.min(limits.headersTimeoutMs || 30_000, limits.requestTimeoutMs || 30_000);
  (server as { connectionsCheckingInterval?: number }).connectionsCheckingInterval = Math.max(
    100,
    Math.min(30_000, Math.floor(check / 4)),
  );
  server.on("connection", (socket: Duplex) => guardSocket(socket));
  server.on("clientError", (error: NodeJS.ErrnoException, socket: Duplex) =>
    answerClientError(error, socket, muxOptions),
  );
  if (limits.bodyIdleTimeoutMs > 0) {
    server.on("request", (req: IncomingMessage, res: ServerResponse) =>
      watchBody(req, res, limits.bodyIdleTimeoutMs, muxOptions),
    );
  }
  return server;
}

/** The HTTP status of a Node parser or timeout error, as Node's own default handler picks it. @internal */
export function clientErrorStatus(code: string | undefined): 400 | 408 | 413 | 431 {
  switch (code) {
    case "HPE_HEADER_OVERFLOW":
      return 431;
    case "ERR_HTTP_REQUEST_TIMEOUT":
    case "ERR_HTTP_HEADERS_TIMEOUT":
      return 408;
    case "HPE_CHUNK_EXTENSIONS_OVERFLOW":
      return 413;
    default:
      return 400;
  }
}

function answerClientError(
  error: NodeJS.ErrnoException,
  socket: Duplex,
  options: ResolvedMuxOptions,
): void {
  const response = (socket as { _httpMessage?: ServerResponse | null })._httpMessage;
  if (error.code === "ECONNRESET" || !socket.writable || response?.headersSent === true) {
    socket.destroy();
    return;
  }
  const status = clientErrorStatus(error.code);
  const code =
    status === 408
      ? Code.DeadlineExceeded
      : status === 400
        ? Code.InvalidArgument
        : Code.ResourceExhausted;
  const message =
    status === 408
      ? "request not received in time"
      : status === 431
        ? "request headers too large"
        : `malformed HTTP request (${error.code ?? "parse error"})`;
  rejectUpgrade(socket, new HttpStatusError(message, code, status), options.errors.registry);
}

/**
 * Bounds the pause between two reads of a request body: the socket's
 * inactivity timer runs while the body is incomplete, and a client that
 * sends nothing for `ms` gets a 408 (if nothing was answered yet) and loses
 * its connection.
 */
function watchBody(
  req: IncomingMessage,
  res: ServerResponse,
  ms: number,
  options: ResolvedMuxOptions,
): void {
  const length = req.headers["content-length"];
  const hasBody =
    req.headers["transfer-encoding"] !== undefined || (length !== undefined && length !== "0");
  if (!hasBody || req.complete) return;
  const socket = req.socket;
  const onTimeout = () => {
    if (req.complete) return;
    if (!res.headersSent && !res.destroyed) {
      const body = errorBody(
        new RpcError("request body not received in time", Code.DeadlineExceeded),
        options.errors.registry,
      );
      res.writeHead(408, {
        "Content-Type": "application/json",
        "Content-Length": Buffer.byteLength(body),
        Connection: "close",
      });
      res.end(body, () => socket.destroy());
      setTimeout(() => socket.destroy(), 1000).unref();
      return;
    }
    socket.destroy();
  };
  const done = () => {
    req.off("timeout", onTimeout);
    if (!socket.destroyed) socket.setTimeout(0);
  };
  socket.setTimeout(ms);
  // On the request, not the socket: Node's own socket listener destroys the socket unless the request takes the timeout.
  req.on("timeout", onTimeout);
  req.once("end", done);
  req.once("close", done);
}
