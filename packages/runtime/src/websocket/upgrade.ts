import type { IncomingMessage } from "node:http";
import { STATUS_CODES } from "node:http";
import { createRequire } from "node:module";
import type { Duplex } from "node:stream";
import type { Registry } from "@bufbuild/protobuf";
import type { WebSocket, WebSocketServer } from "ws";
import { errorBody } from "../core/error-body.js";
import { HttpStatusError, httpStatusOf } from "../core/http-status-error.js";
import { Code, type RpcError } from "../core/rpc-error.js";
import type { PipelineCall } from "../pipeline/pipeline.js";
import { requireOptionalPeer } from "../util/optional-peer.js";

// The handshake: the server that upgrades, the checks before it, and the
// HTTP answer to an upgrade refused.

const require = createRequire(import.meta.url);

/** Browser origins allowed to upgrade (see the mux's `allowedOrigins` option). */
export type AllowedOrigins = readonly string[] | ((origin: string) => boolean) | undefined;

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

/**
 * Answers an upgrade request with an HTTP error and the `google.rpc.Status`
 * body, and the headers middlewares set.
 * @internal
 */
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
export function originAllowed(req: IncomingMessage, allowed: AllowedOrigins): boolean {
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

/**
 * Completes an accepted upgrade, with the headers middlewares set on the 101
 * (ws emits `'headers'` synchronously while it writes the response).
 */
export function upgrade(
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
