import {
  create,
  type DescMessage,
  isMessage,
  type MessageInitShape,
  type MessageShape,
} from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import type { Codec } from "../codec/codec.js";
import { compiledCodec } from "../codec/compiled-codec.js";
import { type CallOptions, mergeMetadata } from "../core/call-context.js";
import { drained } from "../util/drained.js";
import { serializers } from "./grpc-serialization.js";
import {
  type BidiStreamingMethod,
  type ClientStreamingMethod,
  grpcPath,
  type ServerStreamingMethod,
  type UnaryMethod,
} from "../core/method-kinds.js";
import { Code, RpcError } from "../core/rpc-error.js";

/**
 * The grpc-js transport under every generated client: one `grpc.Client` (so
 * grpc-js credentials, channel options, interceptors and `channelOverride`
 * all apply) and one typed call per method kind. Errors are {@link RpcError}s.
 */
export class GrpcClient {
  /** The underlying grpc-js client. */
  readonly client: grpc.Client;
  /** Encodes requests and decodes responses. */
  readonly codec: Codec;

  constructor(address: string, credentials: grpc.ChannelCredentials, options?: GrpcClientOptions) {
    const { codec, ...clientOptions } = options ?? {};
    this.client = new grpc.Client(address, credentials, clientOptions);
    this.codec = codec ?? compiledCodec;
  }

  /**
   * A client over an existing channel, e.g. a balanced one from `createChannel`;
   * the interceptors an {@link InterceptedChannel} carries (its circuit
   * breaker) apply automatically.
   */
  static fromChannel(channel: grpc.Channel, options?: GrpcClientOptions): GrpcClient {
    return new GrpcClient(
      channel.getTarget(),
      grpc.credentials.createInsecure(),
      clientOptionsFor(channel, options),
    );
  }

  unary<I extends DescMessage, O extends DescMessage>(
    method: UnaryMethod<I, O>,
    request: MessageInitShape<I>,
    options?: CallOptions,
  ): Promise<MessageShape<O>> {
    const input = serializers(this.codec, method.input);
    const output = serializers(this.codec, method.output);
    return new Promise((resolve, reject) => {
      const call = this.client.makeUnaryRequest(
        grpcPath(method),
        input.serialize,
        output.deserialize,
        toMessage(method.input, request),
        requestMetadata(options),
        grpcCallOptions(options),
        settle(resolve, reject),
      );
      observe(call, options);
    });
  }

  serverStream<I extends DescMessage, O extends DescMessage>(
    method: ServerStreamingMethod<I, O>,
    request: MessageInitShape<I>,
    options?: CallOptions,
  ): AsyncIterable<MessageShape<O>> {
    const call = this.client.makeServerStreamRequest(
      grpcPath(method),
      serializers(this.codec, method.input).serialize,
      serializers(this.codec, method.output).deserialize,
      toMessage(method.input, request),
      requestMetadata(options),
      grpcCallOptions(options),
    );
    observe(call, options);
    return responses<MessageShape<O>>(call);
  }

  clientStream<I extends DescMessage, O extends DescMessage>(
    method: ClientStreamingMethod<I, O>,
    requests: AsyncIterable<MessageInitShape<I>>,
    options?: CallOptions,
  ): Promise<MessageShape<O>> {
    return new Promise((resolve, reject) => {
      const call = this.client.makeClientStreamRequest(
        grpcPath(method),
        serializers(this.codec, method.input).serialize,
        serializers(this.codec, method.output).deserialize,
        requestMetadata(options),
        grpcCallOptions(options),
        settle(resolve, reject),
      );
      observe(call, options);
      pump(method.input, requests, call);
    });
  }

  bidiStream<I extends DescMessage, O extends DescMessage>(
    method: BidiStreamingMethod<I, O>,
    requests: AsyncIterable<MessageInitShape<I>>,
    options?: CallOptions,
  ): AsyncIterable<MessageShape<O>> {
    const call = this.client.makeBidiStreamRequest(
      grpcPath(method),
      serializers(this.codec, method.input).serialize,
      serializers(this.codec, method.output).deserialize,
      requestMetadata(options),
      grpcCallOptions(options),
    );
    observe(call, options);
    pump(method.input, requests, call);
    return responses<MessageShape<O>>(call);
  }

  /** Closes the underlying channel (unless it was provided by `fromChannel`'s caller and shared). */
  close(): void {
    this.client.close();
  }
}

/** Options of a {@link GrpcClient} (and of a generated client): grpc-js's, and the codec. */
export interface GrpcClientOptions extends grpc.ClientOptions {
  /** Encodes requests and decodes responses; default `compiledCodec`. */
  codec?: Codec | undefined;
}

/**
 * A channel that carries client interceptors every call over it must go
 * through, as `createChannel`'s balanced channel carries its circuit breaker.
 */
export interface InterceptedChannel extends grpc.Channel {
  readonly clientInterceptors: readonly grpc.Interceptor[];
}

function isIntercepted(channel: grpc.Channel): channel is InterceptedChannel {
  return Array.isArray((channel as Partial<InterceptedChannel>).clientInterceptors);
}

/**
 * grpc-js client options that make a client use `channel` (`channelOverride`)
 * with the interceptors it carries after the given ones. Idempotent: options
 * that already went through here do not get an interceptor twice.
 */
export function clientOptionsFor<O extends grpc.ClientOptions>(
  channel: grpc.Channel,
  extra: O = {} as O,
): O {
  const given = extra.interceptors ?? [];
  const carried = isIntercepted(channel) ? channel.clientInterceptors : [];
  const interceptors = [...given, ...carried.filter((i) => !given.includes(i))];
  return { ...extra, channelOverride: channel, interceptors };
}

/** A grpc-js unary-response callback settling a promise, failures as RpcError. */
function settle<O>(
  resolve: (value: O) => void,
  reject: (reason: RpcError) => void,
): (err: grpc.ServiceError | null, value?: O) => void {
  return (err, value) => {
    if (err) reject(RpcError.from(err));
    else if (value === undefined) reject(new RpcError("no response message", Code.Internal));
    else resolve(value);
  };
}

function toMessage<D extends DescMessage>(schema: D, init: MessageInitShape<D>): MessageShape<D> {
  return isMessage(init, schema) ? init : create(schema, init);
}

function requestMetadata(options: CallOptions | undefined): grpc.Metadata {
  return options?.metadata ?? new grpc.Metadata();
}

function grpcCallOptions(options: CallOptions | undefined): grpc.CallOptions {
  if (options === undefined) return {};
  let deadline: number | undefined;
  if (options.deadline !== undefined) deadline = +options.deadline;
  if (options.timeoutMs !== undefined) {
    const fromTimeout = Date.now() + options.timeoutMs;
    deadline = deadline === undefined ? fromTimeout : Math.min(deadline, fromTimeout);
  }
  return deadline === undefined ? {} : { deadline };
}

/** Wires cancellation and response metadata between a grpc-js call and the call options. */
function observe(call: grpc.Call, options: CallOptions | undefined): void {
  if (options === undefined) return;
  const { responseMetadata, responseTrailers } = options;
  if (responseMetadata !== undefined) {
    call.on("metadata", (md: grpc.Metadata) => mergeMetadata(responseMetadata, md));
  }
  if (responseTrailers !== undefined) {
    call.on("status", (status: grpc.StatusObject) =>
      mergeMetadata(responseTrailers, status.metadata),
    );
  }
  if (options.onCancel !== undefined) {
    const dispose = options.onCancel(() => call.cancel());
    call.on("status", dispose);
    return;
  }
  const signal = options.signal;
  if (signal !== undefined) {
    if (signal.aborted) {
      call.cancel();
      return;
    }
    const cancel = () => call.cancel();
    signal.addEventListener("abort", cancel, { once: true });
    call.on("status", () => signal.removeEventListener("abort", cancel));
  }
}

/** Writes requests into a client-streaming call, honouring backpressure; cancels the call if the source fails. */
function pump<I extends DescMessage>(
  schema: I,
  requests: AsyncIterable<MessageInitShape<I>>,
  call: grpc.ClientWritableStream<MessageShape<I>>,
): void {
  void (async () => {
    try {
      for await (const request of requests) {
        if (!call.write(toMessage(schema, request))) {
          await drained(call);
        }
      }
      call.end();
    } catch {
      call.cancel();
    }
  })();
}

/** Iterates a readable grpc-js call, converting its error, and cancels it if the consumer stops early. */
async function* responses<O>(call: grpc.ClientReadableStream<O>): AsyncGenerator<O> {
  let finished = false;
  try {
    for await (const message of call) yield message as O;
    finished = true;
  } catch (err) {
    finished = true;
    throw RpcError.from(err);
  } finally {
    if (!finished) call.cancel();
  }
}
