import type { DescMethod, DescService, Message, Registry } from "@bufbuild/protobuf";
import type { ConnectError, ContextKey, HandlerContext } from "@connectrpc/connect";
import type { UniversalHandler } from "@connectrpc/connect/protocol";
import { maxTimerMs, type TimeoutPolicy } from "../core/deadline.js";
import type { CallMetadata } from "../core/metadata.js";
import { Code, RpcError } from "../core/rpc-error.js";
import type { Protocol } from "../core/rpc-protocols.js";
import { headersFromMetadata } from "../headers/outgoing-headers.js";
import { GatewayCallContext } from "../pipeline/gateway-context.js";
import type { PipelineCall, RouteInfo } from "../pipeline/pipeline.js";
import { toMessage } from "../stream/response-stream.js";
import { toConnectError } from "./rpc-errors.js";
import type { ConnectPeers } from "./rpc-peers.js";

/** What one RPC call brings to its method's handler: set by the mux per request. @internal */
export interface RpcCallState {
  /** The pipeline's record of the call, when middlewares are installed. */
  readonly pipeline: PipelineCall | undefined;
  /** The metadata the backend receives (the headers through the mux's header matcher). */
  readonly metadata: CallMetadata;
  /** The header matcher's verdict on the request headers, answered before the backend call. */
  readonly metadataError: RpcError | undefined;
}

/** The option values the RPC handlers use. @internal */
export interface RpcOptions {
  readonly protocols: ReadonlySet<Protocol>;
  /** Largest request message, after decompression. */
  readonly maxRequestBytes: number;
  readonly timeouts: TimeoutPolicy;
  /** A stream ends (DEADLINE_EXCEEDED) after this long; 0 = no limit. */
  readonly maxStreamDurationMs: number;
  readonly redactInternalErrors: boolean;
  /** Types `Any` fields may hold in JSON messages. */
  readonly registry: Registry;
  readonly ignoreUnknownFields: boolean;
  /**
   * The mux's checks of a decoded request message (validation, request
   * interceptors): returns, or resolves, when it may go on; throws the
   * `RpcError` to answer otherwise.
   */
  readonly checkRequest?: (method: DescMethod, message: Message) => void | Promise<void>;
}

/** One method served over the RPC protocols: connect-es's handler and what the pipeline sees of it. @internal */
export interface RpcMethodHandler {
  readonly handler: UniversalHandler;
  /** The route as middlewares, metrics and logs see it: the method's path, `POST`. */
  readonly info: RouteInfo;
  /** The route of a Connect GET (side-effect-free methods), undefined otherwise. */
  readonly getInfo: RouteInfo | undefined;
}

type BackendCall = (request: unknown, context: unknown) => unknown;

/**
 * connect-es's handlers (Connect, gRPC-Web and gRPC, as `protocols` turns
 * them on) for the methods of one service, each forwarding its call to
 * `backend` (a generated grpc-js client or an in-process implementation):
 * the same backend a REST route of the service calls, with a call context
 * made the same way (metadata from the header matcher, the deadline the
 * client asked for within the mux's timeout policy, cancellation when the
 * client goes away), its response headers and trailers sent back, and its
 * errors mapped code for code.
 * @internal
 */
export function rpcServiceHandlers(
  peers: ConnectPeers,
  service: DescService,
  backend: object,
  stateKey: ContextKey<RpcCallState | undefined>,
  options: RpcOptions,
): RpcMethodHandler[] {
  const router = peers.connect.createConnectRouter({
    connect: options.protocols.has("connect"),
    grpcWeb: options.protocols.has("grpc-web"),
    grpc: options.protocols.has("grpc"),
    acceptCompression: [peers.node.compressionGzip, peers.node.compressionBrotli],
    readMaxBytes: options.maxRequestBytes,
    jsonOptions: {
      registry: options.registry,
      ignoreUnknownFields: options.ignoreUnknownFields,
    },
  });
  const impl: Record<string, unknown> = {};
  for (const method of service.methods) {
    const fn = (backend as Record<string, unknown>)[method.localName];
    const call: BackendCall =
      typeof fn === "function"
        ? (fn.bind(backend) as BackendCall)
        : () => {
            throw new RpcError(`method ${method.name} is not implemented`, Code.Unimplemented);
          };
    impl[method.localName] = methodImpl(peers, method, call, stateKey, options);
  }
  router.service(service, impl as never);
  return router.handlers.map((handler) => {
    const method = handler.method;
    const info: RouteInfo = {
      template: handler.requestPath,
      httpMethod: "POST",
      service: service.typeName,
      rpc: method.name,
      methodKind: method.methodKind,
      method,
    };
    return {
      handler,
      info,
      getInfo: handler.allowedMethods.includes("GET") ? { ...info, httpMethod: "GET" } : undefined,
    };
  });
}

/** The implementation connect-es calls for one method: a forwarder to the backend. */
function methodImpl(
  peers: ConnectPeers,
  method: DescMethod,
  call: BackendCall,
  stateKey: ContextKey<RpcCallState | undefined>,
  options: RpcOptions,
): unknown {
  const failed = (err: unknown, state: RpcCallState | undefined): ConnectError => {
    const error = RpcError.from(err);
    state?.pipeline?.fail(error);
    return toConnectError(peers, error, options.redactInternalErrors);
  };
  switch (method.methodKind) {
    case "unary":
      return async (request: unknown, ctx: HandlerContext) => {
        const state = ctx.values.get(stateKey);
        let context: ReturnType<typeof startCall> | undefined;
        try {
          context = startCall(state, ctx, options, 0);
          if (state?.pipeline !== undefined) state.pipeline.outcome.messagesIn = 1;
          await options.checkRequest?.(method, request as Message);
          const response = await context.race(call(request, context));
          sendMetadata(context, ctx);
          succeed(state, 1);
          return toMessage(method.output, response);
        } catch (err) {
          throw failed(err, state);
        } finally {
          context?.finish();
        }
      };
    case "client_streaming":
      return async (requests: AsyncIterable<unknown>, ctx: HandlerContext) => {
        const state = ctx.values.get(stateKey);
        let stream: CountedRequests | undefined;
        let context: ReturnType<typeof startCall> | undefined;
        try {
          context = startCall(state, ctx, options, options.maxStreamDurationMs);
          stream = countedRequests(requests, context, state?.pipeline, (message) =>
            options.checkRequest?.(method, message as Message),
          );
          const response = await context.race(call(stream.messages, context));
          sendMetadata(context, ctx);
          succeed(state, 1);
          return toMessage(method.output, response);
        } catch (err) {
          throw failed(stream?.error ?? err, state);
        } finally {
          context?.finish();
        }
      };
    case "server_streaming":
      return async function* (request: unknown, ctx: HandlerContext) {
        const state = ctx.values.get(stateKey);
        try {
          const context = startCall(state, ctx, options, options.maxStreamDurationMs);
          if (state?.pipeline !== undefined) state.pipeline.outcome.messagesIn = 1;
          await options.checkRequest?.(method, request as Message);
          yield* responses(method, call(request, context), context, ctx, state);
        } catch (err) {
          throw failed(err, state);
        }
      };
    case "bidi_streaming":
      return async function* (requests: AsyncIterable<unknown>, ctx: HandlerContext) {
        const state = ctx.values.get(stateKey);
        let stream: CountedRequests | undefined;
        try {
          const context = startCall(state, ctx, options, options.maxStreamDurationMs);
          stream = countedRequests(requests, context, state?.pipeline, (message) =>
            options.checkRequest?.(method, message as Message),
          );
          yield* responses(method, call(stream.messages, context), context, ctx, state);
        } catch (err) {
          throw failed(stream?.error ?? err, state);
        }
      };
  }
}

/**
 * The call context of one RPC call: the request metadata, the deadline (the
 * client's `Connect-Timeout-Ms`/`grpc-timeout`, else the mux's default,
 * capped at its maximum) and cancellation, tied to connect-es's signal (the
 * client left: CANCELLED; its deadline passed: DEADLINE_EXCEEDED).
 */
function startCall(
  state: RpcCallState | undefined,
  ctx: HandlerContext,
  options: RpcOptions,
  maxStreamDurationMs: number,
): GatewayCallContext & { finish(): void } {
  if (state === undefined) throw new RpcError("RPC call without its state", Code.Internal);
  if (state.metadataError !== undefined) throw state.metadataError;
  const ms = rpcTimeout(ctx.timeoutMs(), options.timeouts);
  const pipeline = state.pipeline;
  const context = new GatewayCallContext(
    state.metadata,
    ms === undefined ? undefined : new Date(Date.now() + ms),
    pipeline === undefined ? undefined : (address) => pipeline.reachedEndpoint(address),
  );
  if (pipeline !== undefined) pipeline.context = context;
  const timers: NodeJS.Timeout[] = [];
  if (ms !== undefined && ms <= maxTimerMs) {
    timers.push(
      setTimeout(
        () => context.expire(new RpcError(`deadline of ${ms}ms exceeded`, Code.DeadlineExceeded)),
        ms,
      ),
    );
  }
  if (maxStreamDurationMs > 0) {
    const limit = setTimeout(
      () =>
        context.cancel(
          new RpcError(
            `stream exceeded its maximum duration of ${maxStreamDurationMs}ms`,
            Code.DeadlineExceeded,
          ),
        ),
      maxStreamDurationMs,
    );
    limit.unref();
    timers.push(limit);
  }
  const ended = () => {
    for (const timer of timers) clearTimeout(timer);
    const reason = RpcError.from(ctx.signal.reason, Code.Cancelled);
    if (reason.code === Code.DeadlineExceeded) context.expire(reason);
    else context.cancel(new RpcError("the client cancelled the call", Code.Cancelled));
  };
  // connect-es aborts the signal when the client goes away, at its deadline, and once the call is
  // over: `finish` stops listening once the backend call is done (no errors made for nothing).
  if (ctx.signal.aborted) ended();
  else ctx.signal.addEventListener("abort", ended, { once: true });
  const finish = () => {
    ctx.signal.removeEventListener("abort", ended);
    for (const timer of timers) clearTimeout(timer);
  };
  return Object.assign(context, { finish });
}

/** The timeout of a call whose client asked for `requested` ms (undefined: none), within the mux's policy. */
function rpcTimeout(requested: number | undefined, policy: TimeoutPolicy): number | undefined {
  const ms = requested ?? policy.defaultMs;
  if (policy.maxMs !== undefined && (ms === undefined || ms > policy.maxMs)) return policy.maxMs;
  return ms;
}

/** The backend's response headers and trailers, as the protocol's headers and trailers. */
function sendMetadata(context: GatewayCallContext, ctx: HandlerContext): void {
  sendHeaders(context, ctx);
  for (const [name, value] of headersFromMetadata(context.responseTrailers, "", (key) => key)) {
    ctx.responseTrailer.append(name, value);
  }
}

function sendHeaders(context: GatewayCallContext, ctx: HandlerContext): void {
  for (const [name, value] of headersFromMetadata(context.responseMetadata, "", (key) => key)) {
    ctx.responseHeader.append(name, value);
  }
}

function succeed(state: RpcCallState | undefined, messagesOut: number): void {
  const pipeline = state?.pipeline;
  if (pipeline === undefined) return;
  pipeline.outcome.messagesOut += messagesOut;
  pipeline.succeed();
}

/** A client stream's messages as the backend reads them, counted; a bad one cancels the call. */
interface CountedRequests {
  readonly messages: AsyncIterable<unknown>;
  /** The error reading the requests failed with (a bad frame or message): it wins over the CANCELLED it caused. */
  readonly error: RpcError | undefined;
}

function countedRequests(
  requests: AsyncIterable<unknown>,
  context: GatewayCallContext,
  pipeline: PipelineCall | undefined,
  check: (message: unknown) => void | Promise<void>,
): CountedRequests {
  const result: { messages: AsyncIterable<unknown>; error: RpcError | undefined } = {
    messages: read(),
    error: undefined,
  };
  async function* read(): AsyncGenerator<unknown> {
    try {
      for await (const message of requests) {
        if (pipeline !== undefined) pipeline.outcome.messagesIn++;
        await check(message);
        yield message;
      }
    } catch (err) {
      const error = RpcError.from(err, Code.InvalidArgument);
      result.error = error;
      context.cancel(error);
      throw error;
    }
  }
  return result;
}

/**
 * The backend's response stream, message by message, ending at once with the
 * reason when the call's deadline passes or it is cancelled (even if an
 * in-process implementation ignores its signal). The response headers go
 * before the first message, the trailers after the last.
 */
async function* responses(
  method: DescMethod,
  source: unknown,
  context: GatewayCallContext,
  ctx: HandlerContext,
  state: RpcCallState | undefined,
): AsyncGenerator<unknown> {
  const iterator = (source as AsyncIterable<unknown>)[Symbol.asyncIterator]();
  let endReason: RpcError | undefined;
  let interrupt: ((reason: RpcError) => void) | undefined;
  context.onEnd((reason) => {
    endReason = reason;
    interrupt?.(reason);
  });
  let headersSent = false;
  let done = false;
  try {
    for (;;) {
      if (endReason !== undefined) throw endReason;
      const next = await new Promise<IteratorResult<unknown>>((resolve, reject) => {
        interrupt = reject;
        iterator.next().then(resolve, reject);
      });
      interrupt = undefined;
      if (!headersSent) {
        headersSent = true;
        sendHeaders(context, ctx);
      }
      if (next.done === true) break;
      if (state?.pipeline !== undefined) state.pipeline.outcome.messagesOut++;
      yield toMessage(method.output, next.value);
    }
    done = true;
    for (const [name, value] of headersFromMetadata(context.responseTrailers, "", (key) => key)) {
      ctx.responseTrailer.append(name, value);
    }
    state?.pipeline?.succeed();
  } finally {
    if (!done) void iterator.return?.()?.then(undefined, () => {});
  }
}
