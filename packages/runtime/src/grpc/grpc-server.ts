import {
  create,
  type DescMessage,
  type DescMethod,
  type DescService,
  isMessage,
  type Message,
  type MessageShape,
} from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import type { Codec } from "../codec/codec.js";
import { compiledCodec } from "../codec/compiled-codec.js";
import type { CallContext } from "../core/call-context.js";
import { grpcPath } from "../core/method-kinds.js";
import { RpcError } from "../core/rpc-error.js";
import { drained } from "../util/drained.js";
import { serializers } from "./grpc-serialization.js";
import { toServiceError } from "./grpc-status.js";

/** Options of {@link createServiceDefinition}. */
export interface ServiceDefinitionOptions {
  /** Encodes and decodes the messages; default `compiledCodec`. */
  codec?: Codec | undefined;
}

/** Builds the grpc-js service definition of a protobuf-es service descriptor. */
export function createServiceDefinition(
  service: DescService,
  options: ServiceDefinitionOptions = {},
): grpc.ServiceDefinition {
  const codec = options.codec ?? compiledCodec;
  const definition: Record<string, grpc.MethodDefinition<Message, Message>> = {};
  for (const method of service.methods) {
    const input = serializers(codec, method.input);
    const output = serializers(codec, method.output);
    definition[method.localName] = {
      path: grpcPath(method),
      requestStream:
        method.methodKind === "client_streaming" || method.methodKind === "bidi_streaming",
      responseStream:
        method.methodKind === "server_streaming" || method.methodKind === "bidi_streaming",
      requestSerialize: input.serialize,
      requestDeserialize: input.deserialize,
      responseSerialize: output.serialize,
      responseDeserialize: output.deserialize,
      originalName: method.name,
    };
  }
  return definition;
}

/** An implementation's method, loosely typed: the generated interfaces give the precise types. */
type AnyImpl = (request: unknown, context: CallContext) => unknown;

/**
 * Adapts an implementation of a service (async methods taking a request and a
 * {@link CallContext}) to grpc-js handlers for `server.addService(definition, handlers)`.
 * Methods the implementation lacks answer UNIMPLEMENTED.
 */
export function grpcHandlers(
  service: DescService,
  implementation: object,
): grpc.UntypedServiceImplementation {
  const handlers: grpc.UntypedServiceImplementation = {};
  for (const method of service.methods) {
    const fn = (implementation as Record<string, unknown>)[method.localName];
    const impl: AnyImpl =
      typeof fn === "function"
        ? (fn.bind(implementation) as AnyImpl)
        : () => {
            throw new RpcError(
              `method ${method.name} is not implemented`,
              grpc.status.UNIMPLEMENTED,
            );
          };
    handlers[method.localName] = adapt(method, impl);
  }
  return handlers;
}

function adapt(method: DescMethod, impl: AnyImpl): grpc.UntypedHandleCall {
  switch (method.methodKind) {
    case "unary":
      return (
        call: grpc.ServerUnaryCall<unknown, unknown>,
        callback: grpc.sendUnaryData<unknown>,
      ) => {
        const ctx = serverContext(call);
        run(async () => toMessage(method.output, await impl(call.request, ctx))).then(
          (response) => {
            sendHeaders(call, ctx);
            callback(null, response, ctx.responseTrailers);
          },
          (err: unknown) => callback(errorStatus(err, ctx)),
        );
      };
    case "client_streaming":
      return (
        call: grpc.ServerReadableStream<unknown, unknown>,
        callback: grpc.sendUnaryData<unknown>,
      ) => {
        const ctx = serverContext(call);
        run(async () => toMessage(method.output, await impl(requestsOf(call), ctx))).then(
          (response) => {
            sendHeaders(call, ctx);
            callback(null, response, ctx.responseTrailers);
          },
          (err: unknown) => callback(errorStatus(err, ctx)),
        );
      };
    case "server_streaming":
      return (call: grpc.ServerWritableStream<unknown, unknown>) => {
        const ctx = serverContext(call);
        void stream(method, call, ctx, () => impl(call.request, ctx));
      };
    case "bidi_streaming":
      return (call: grpc.ServerDuplexStream<unknown, unknown>) => {
        const ctx = serverContext(call);
        void stream(method, call, ctx, () => impl(requestsOf(call), ctx));
      };
  }
}

async function run<T>(fn: () => Promise<T>): Promise<T> {
  return fn();
}

/**
 * The requests of a client- or bidi-streaming call as an AsyncIterable. Not the
 * call itself: a plain `for await` over a Node stream destroys it when the
 * requests end, which for a duplex call also kills the response side.
 */
function requestsOf(
  call: grpc.ServerReadableStream<unknown, unknown> | grpc.ServerDuplexStream<unknown, unknown>,
): AsyncIterable<unknown> {
  return call.iterator({ destroyOnReturn: false });
}

/** Writes every response of an implementation's AsyncIterable to a grpc-js stream, with backpressure. */
async function stream(
  method: DescMethod,
  call: grpc.ServerWritableStream<unknown, unknown> | grpc.ServerDuplexStream<unknown, unknown>,
  ctx: ServerCallContext,
  start: () => unknown,
): Promise<void> {
  try {
    const responses = (await start()) as AsyncIterable<unknown>;
    for await (const response of responses) {
      if (ctx.signal.aborted) return;
      sendHeaders(call, ctx);
      if (!call.write(toMessage(method.output, response))) {
        await drained(call);
      }
    }
    if (ctx.signal.aborted) return;
    sendHeaders(call, ctx);
    call.end(ctx.responseTrailers);
  } catch (err) {
    if (ctx.signal.aborted) return;
    // Header metadata set before the failure still goes out, as for unary calls.
    sendHeaders(call, ctx);
    // grpc-js writes the status on the stream's "error" event; destroy() would drop it.
    call.emit("error", Object.assign(new Error(), errorStatus(err, ctx)));
  }
}

function toMessage(schema: DescMessage, value: unknown): MessageShape<DescMessage> {
  if (isMessage(value, schema)) return value;
  return create(schema, (value ?? {}) as never);
}

function errorStatus(err: unknown, ctx: ServerCallContext): Partial<grpc.StatusObject> {
  const status = toServiceError(RpcError.from(err));
  const metadata = status.metadata ?? new grpc.Metadata();
  metadata.merge(ctx.responseTrailers);
  return { ...status, metadata };
}

type ServerCall =
  | grpc.ServerUnaryCall<unknown, unknown>
  | grpc.ServerReadableStream<unknown, unknown>
  | grpc.ServerWritableStream<unknown, unknown>
  | grpc.ServerDuplexStream<unknown, unknown>;

const headersSent = new WeakSet<ServerCall>();

function sendHeaders(call: ServerCall, ctx: ServerCallContext): void {
  if (headersSent.has(call)) return;
  headersSent.add(call);
  if (Object.keys(ctx.responseMetadata.getMap()).length > 0)
    call.sendMetadata(ctx.responseMetadata);
}

/** The context of a call that arrived over grpc-js: its metadata is grpc-js's. */
interface ServerCallContext extends CallContext {
  readonly metadata: grpc.Metadata;
  readonly responseMetadata: grpc.Metadata;
  readonly responseTrailers: grpc.Metadata;
}

function serverContext(call: ServerCall): ServerCallContext {
  const controller = new AbortController();
  // grpc-js has its own listener too; this one makes sure an 'error' never goes unheard.
  (call as grpc.ServerUnaryCall<unknown, unknown>).on("error", () => {});
  (call as grpc.ServerUnaryCall<unknown, unknown>).on("cancelled", () =>
    controller.abort(new RpcError("call cancelled", grpc.status.CANCELLED)),
  );
  const deadline = call.getDeadline();
  const ms = +deadline;
  return {
    metadata: call.metadata,
    deadline: Number.isFinite(ms) ? new Date(ms) : undefined,
    signal: controller.signal,
    responseMetadata: new grpc.Metadata(),
    responseTrailers: new grpc.Metadata(),
  };
}
