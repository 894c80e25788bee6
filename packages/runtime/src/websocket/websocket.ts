import { EventEmitter } from "node:events";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import type { DescMethod, Message } from "@bufbuild/protobuf";
import type { WebSocketServer } from "ws";
import type { CallContext } from "../core/call-context.js";
import { HttpStatusError } from "../core/http-status-error.js";
import { type RequestDecodeOptions, RequestMessageBuilder } from "../core/request-message.js";
import { type ResponseEncodeOptions, ResponseJsonWriter } from "../core/response-message.js";
import type { RouteSpec } from "../core/route-spec.js";
import { Code, RpcError } from "../core/rpc-error.js";
import { type CallSetup, gatewayContext } from "../pipeline/gateway-context.js";
import type { PipelineCall } from "../pipeline/pipeline.js";
import type { RequestCheck } from "../pipeline/request-checks.js";
import { toMessage } from "../stream/response-stream.js";
import { limitStreamDuration, requestStream } from "../stream/streaming-handler.js";
import {
  type CloseErrorOptions,
  closeReason,
  webSocketCloseErrorBase,
  webSocketCloseOk,
} from "./close-codes.js";
import { FrameQueue, keepAlive, send } from "./frames.js";
import { type AllowedOrigins, originAllowed, rejectUpgrade, upgrade } from "./upgrade.js";

// One WebSocket call: a streaming method served over an accepted upgrade.

/** The option values a WebSocket route uses. @internal */
export interface WebSocketOptions {
  readonly decode: RequestDecodeOptions;
  readonly json: ResponseEncodeOptions;
  readonly setup: CallSetup;
  readonly errors: CloseErrorOptions;
  /** Ping interval; 0 = no pings. */
  readonly heartbeatIntervalMs: number;
  /** A client that takes no message for this long is dropped; 0 = never. */
  readonly streamIdleTimeoutMs: number;
  /** A socket open this long is closed (DEADLINE_EXCEEDED); 0 = no limit. */
  readonly maxStreamDurationMs: number;
  /** Browser origins allowed to upgrade (see the `allowedOrigins` option). */
  readonly allowedOrigins: AllowedOrigins;
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
  const writer = new ResponseJsonWriter(method.output, route.responseBody, options.json, method);
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
          await send(ws, writer.writeLine(toMessage(method.output, response)), idleMs, pipeline);
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
          await send(ws, writer.writeLine(toMessage(method.output, next.value)), idleMs, pipeline);
        }
      }
    });
  };
}
