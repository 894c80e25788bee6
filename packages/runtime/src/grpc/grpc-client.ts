import type { EventEmitter } from "node:events";
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
import type { CallOptions } from "../core/call-context.js";
import { type CallMetadata, mergeMetadata } from "../core/metadata.js";
import {
  type BidiStreamingMethod,
  type ClientStreamingMethod,
  grpcPath,
  type ServerStreamingMethod,
  type UnaryMethod,
} from "../core/method-kinds.js";
import { Code, RpcError } from "../core/rpc-error.js";
import { drained } from "../util/drained.js";
import { withGatewayDefaults } from "./grpc-channel-defaults.js";
import { serializers } from "./grpc-serialization.js";
import { canCallChannelDirectly, directUnaryCall } from "./grpc-unary-call.js";
import { toGrpcMetadata } from "./metadata.js";

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
  /** Unary calls go straight to the channel: no interceptor or transformer to run. */
  readonly #direct: boolean;

  constructor(address: string, credentials: grpc.ChannelCredentials, options?: GrpcClientOptions) {
    const { codec, ...clientOptions } = options ?? {};
    const resolved = withGatewayDefaults(clientOptions);
    this.client = new grpc.Client(address, credentials, resolved);
    this.codec = codec ?? compiledCodec;
    this.#direct = canCallChannelDirectly(resolved);
  }

  /**
   * A client over an existing channel, e.g. a balanced one from `createChannel`
   * (whose per-endpoint circuit breaker is part of the channel's balancing);
   * the interceptors an {@link InterceptedChannel} carries apply automatically.
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
    const path = grpcPath(method);
    const message = toMessage(method.input, request);
    // One deadline for every attempt: a timeout counts from the first.
    const deadline = deadlineOf(options);
    return new Promise((resolve, reject) => {
      let attempts = 0;
      const start = (): void => {
        attempts++;
        const answer = new Answer(deadline);
        const done = (err: grpc.ServiceError | null, value?: MessageShape<O>): void => {
          if (err !== null && attempts === 1 && this.#redoable(err, answer, path, options)) {
            answer.forgetHeaders(options?.responseMetadata);
            start();
            return;
          }
          settle(resolve, reject, answer)(err, value);
        };
        if (this.#direct) this.#directUnary(path, input, output, message, options, answer, done);
        else this.#clientUnary(path, input, output, message, options, answer, done);
      };
      start();
    });
  }

  /**
   * Whether a failed unary call is issued once more: a call of a method the
   * channel's retry policy names (so idempotent) that lost its connection
   * after the backend's response headers arrived. grpc-js commits a call on
   * its headers and never retries it after (gRFC A6), but the gateway has
   * given its client nothing yet, so for an idempotent method a new call is
   * safe: this is what fails a few GETs when a replica is killed under load
   * (the kernel drops the answer's unread bytes on the reset).
   */
  #redoable(
    err: grpc.ServiceError,
    answer: Answer,
    path: string,
    options: CallOptions | undefined,
  ): boolean {
    if (err.code !== grpc.status.UNAVAILABLE || !answer.committed()) return false;
    if (options?.signal?.aborted === true) return false;
    if (answer.deadline !== undefined && Date.now() >= answer.deadline) return false;
    const channel = this.client.getChannel();
    return isRetrying(channel) && channel.retries(path);
  }

  #directUnary<I, O>(
    path: string,
    input: { serialize: (message: I) => Buffer },
    output: { deserialize: (bytes: Buffer) => O },
    request: I,
    options: CallOptions | undefined,
    answer: Answer,
    done: (err: grpc.ServiceError | null, value?: O) => void,
  ): void {
    const trailers = options?.responseTrailers;
    const headers = options?.responseMetadata;
    let dispose: (() => void) | undefined;
    const cancel = directUnaryCall(this.client.getChannel(), {
      path,
      serialize: input.serialize,
      deserialize: output.deserialize,
      request,
      metadata: requestMetadata(options),
      deadline: answer.deadline ?? Number.POSITIVE_INFINITY,
      onMetadata: (md) => {
        answer.sawHeaders(md);
        if (headers !== undefined) mergeMetadata(headers, md);
      },
      onStatus: (status, call) => {
        if (trailers !== undefined) mergeMetadata(trailers, status.metadata);
        dispose?.();
        const onEndpoint = options?.onEndpoint;
        if (onEndpoint !== undefined) reportEndpoint(call, this.client, onEndpoint);
      },
      done,
    });
    dispose = onCancel(options, cancel);
  }

  #clientUnary<I, O>(
    path: string,
    input: { serialize: (message: I) => Buffer },
    output: { deserialize: (bytes: Buffer) => O },
    request: I,
    options: CallOptions | undefined,
    answer: Answer,
    done: (err: grpc.ServiceError | null, value?: O) => void,
  ): void {
    const call = this.client.makeUnaryRequest(
      path,
      input.serialize,
      output.deserialize,
      request,
      requestMetadata(options),
      answer.deadline === undefined ? {} : { deadline: answer.deadline },
      done,
    );
    answer.watch(call);
    observe(call, options, this.client);
  }

  serverStream<I extends DescMessage, O extends DescMessage>(
    method: ServerStreamingMethod<I, O>,
    request: MessageInitShape<I>,
    options?: CallOptions,
  ): AsyncIterable<MessageShape<O>> {
    const callOptions = grpcCallOptions(options);
    const call = this.client.makeServerStreamRequest(
      grpcPath(method),
      serializers(this.codec, method.input).serialize,
      serializers(this.codec, method.output).deserialize,
      toMessage(method.input, request),
      requestMetadata(options),
      callOptions,
    );
    const answer = new Answer(deadlineOf(options)).watch(call);
    observe(call, options, this.client);
    return responses<MessageShape<O>>(call, answer);
  }

  clientStream<I extends DescMessage, O extends DescMessage>(
    method: ClientStreamingMethod<I, O>,
    requests: AsyncIterable<MessageInitShape<I>>,
    options?: CallOptions,
  ): Promise<MessageShape<O>> {
    return new Promise((resolve, reject) => {
      const callOptions = grpcCallOptions(options);
      const answer = new Answer(deadlineOf(options));
      const call = this.client.makeClientStreamRequest(
        grpcPath(method),
        serializers(this.codec, method.input).serialize,
        serializers(this.codec, method.output).deserialize,
        requestMetadata(options),
        callOptions,
        settle(resolve, reject, answer),
      );
      answer.watch(call);
      observe(call, options, this.client);
      pump(method.input, requests, call);
    });
  }

  bidiStream<I extends DescMessage, O extends DescMessage>(
    method: BidiStreamingMethod<I, O>,
    requests: AsyncIterable<MessageInitShape<I>>,
    options?: CallOptions,
  ): AsyncIterable<MessageShape<O>> {
    const callOptions = grpcCallOptions(options);
    const call = this.client.makeBidiStreamRequest(
      grpcPath(method),
      serializers(this.codec, method.input).serialize,
      serializers(this.codec, method.output).deserialize,
      requestMetadata(options),
      callOptions,
    );
    const answer = new Answer(deadlineOf(options)).watch(call);
    observe(call, options, this.client);
    pump(method.input, requests, call);
    return responses<MessageShape<O>>(call, answer);
  }

  /** Closes the underlying channel (unless it was provided by `fromChannel`'s caller and shared). */
  close(): void {
    this.client.close();
  }
}

/**
 * Whether the backend answered a call, to tell the statuses it sent from the
 * ones grpc-js made up on the gateway's side (no connection, no endpoint,
 * connection lost before an answer, the deadline passed). Those get a plain
 * message: their details (backend addresses, grpc-js internals) are for logs,
 * not for HTTP clients, and stay in the error's `cause`.
 */
class Answer {
  private headers: grpc.Metadata | null = null;
  /**
   * The call's failure, kept from the moment the call exists: grpc-js emits a
   * stream's `'error'` once, whether or not its iterator listens yet, and then
   * ends the stream as if it had simply finished.
   */
  failure: unknown;
  constructor(readonly deadline: number | undefined) {}

  watch(call: grpc.Call): this {
    call.once("metadata", (md: grpc.Metadata) => this.sawHeaders(md));
    (call as unknown as EventEmitter).once("error", (err: unknown) => {
      this.failure ??= err;
    });
    return this;
  }

  /** The backend sent response headers: whatever status follows is its own. */
  sawHeaders(headers: grpc.Metadata): void {
    this.headers = headers;
  }

  /** Whether grpc-js committed the call (it never retries it after its response headers). */
  committed(): boolean {
    return this.headers !== null;
  }

  /** Takes the headers of this (failed) call back out of the response metadata they were merged into. */
  forgetHeaders(into: CallMetadata | undefined): void {
    if (into === undefined || this.headers === null) return;
    for (const key of Object.keys(this.headers.getMap())) into.remove(key);
  }

  /** The grpc-js failure as an RpcError, with a plain message when the gateway's side raised it. */
  error(err: unknown): RpcError {
    const error = RpcError.from(err);
    // The gateway's deadline passed: whatever grpc-js or the backend says (a Go
    // handler returning ctx.Err() answers UNKNOWN "context deadline exceeded"),
    // the deadline ended the call.
    if (this.deadline !== undefined && Date.now() >= this.deadline) {
      return new RpcError(plainMessage(Code.DeadlineExceeded), Code.DeadlineExceeded, {
        metadata: error.metadata,
        cause: error,
      });
    }
    if (!this.raisedByGateway(error)) return error;
    return new RpcError(plainMessage(error.code), error.code, {
      metadata: error.metadata,
      cause: error,
    });
  }

  private raisedByGateway(error: RpcError): boolean {
    // A backend's status comes with response headers, or is a trailers-only
    // response, which carries the backend's content-type.
    return this.headers === null && error.metadata.get("content-type").length === 0;
  }
}

function plainMessage(code: Code): string {
  switch (code) {
    case Code.Unavailable:
      return "backend unavailable";
    case Code.DeadlineExceeded:
      return "deadline exceeded";
    case Code.Cancelled:
      return "call cancelled";
    default:
      return "backend call failed";
  }
}

/** Options of a {@link GrpcClient} (and of a generated client): grpc-js's, and the codec. */
export interface GrpcClientOptions extends grpc.ClientOptions {
  /** Encodes requests and decodes responses; default `compiledCodec`. */
  codec?: Codec | undefined;
}

/**
 * A channel that carries client interceptors every call over it must go
 * through (`createChannel`'s balanced channel carries its list, empty unless given).
 */
export interface InterceptedChannel extends grpc.Channel {
  readonly clientInterceptors: readonly grpc.Interceptor[];
}

/**
 * A channel whose service config retries some methods (`createChannel`'s with
 * `retry`): those are idempotent, so the gateway may issue a committed call of
 * theirs once more (see `GrpcClient.unary`).
 */
export interface RetryingChannel extends grpc.ChannelInterface {
  /** Whether the channel's retry policy covers `path` (`/pkg.Service/Method`). */
  retries(path: string): boolean;
}

function isRetrying(channel: grpc.ChannelInterface): channel is RetryingChannel {
  return typeof (channel as Partial<RetryingChannel>).retries === "function";
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
  answer: Answer,
): (err: grpc.ServiceError | null, value?: O) => void {
  return (err, value) => {
    if (err) reject(answer.error(err));
    else if (value === undefined) reject(new RpcError("no response message", Code.Internal));
    else resolve(value);
  };
}

function toMessage<D extends DescMessage>(schema: D, init: MessageInitShape<D>): MessageShape<D> {
  return isMessage(init, schema) ? init : create(schema, init);
}

function requestMetadata(options: CallOptions | undefined): grpc.Metadata {
  return toGrpcMetadata(options?.metadata);
}

function grpcCallOptions(options: CallOptions | undefined): grpc.CallOptions {
  const deadline = deadlineOf(options);
  return deadline === undefined ? {} : { deadline };
}

/** The earlier of the options' deadline and timeout, ms since the epoch. */
function deadlineOf(options: CallOptions | undefined): number | undefined {
  if (options === undefined) return undefined;
  let deadline: number | undefined;
  if (options.deadline !== undefined) deadline = +options.deadline;
  if (options.timeoutMs !== undefined) {
    const fromTimeout = Date.now() + options.timeoutMs;
    deadline = deadline === undefined ? fromTimeout : Math.min(deadline, fromTimeout);
  }
  return deadline;
}

/**
 * Wires cancellation and response metadata between a grpc-js call and the
 * call options. Also gives the call an `'error'` listener from the moment it
 * exists: a streaming call reports its failure to the iterator (or a unary
 * one to its callback) only while someone listens, and grpc-js emits
 * `'error'` on a stream whose lazy iterator was never started or already
 * stopped (a deadline of `1n`): without a listener that ends the process.
 */
function observe(call: grpc.Call, options: CallOptions | undefined, client: grpc.Client): void {
  (call as unknown as EventEmitter).on("error", ignoreError);
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
  const dispose = onCancel(options, () => call.cancel());
  if (dispose !== undefined) call.on("status", dispose);
  const onEndpoint = options.onEndpoint;
  if (onEndpoint !== undefined) call.on("status", () => reportEndpoint(call, client, onEndpoint));
}

/**
 * Reports the endpoint a call reached (`host:port`), if it reached one: for a
 * call that did not, grpc-js's `getPeer()` answers the channel's target or
 * `"unknown"`.
 */
function reportEndpoint(
  call: { getPeer(): string },
  client: grpc.Client,
  onEndpoint: (address: string) => void,
): void {
  const peer = call.getPeer();
  if (peer !== "unknown" && peer !== client.getChannel().getTarget()) onEndpoint(peer);
}

/**
 * Cancels through `cancel` when the call options' `onCancel` (a CancelSource) or signal fires;
 * returns what stops listening once the call is over (nothing to stop: undefined).
 */
function onCancel(options: CallOptions | undefined, cancel: () => void): (() => void) | undefined {
  if (options === undefined) return undefined;
  if (options.onCancel !== undefined) return options.onCancel(cancel);
  const signal = options.signal;
  if (signal === undefined) return undefined;
  if (signal.aborted) {
    cancel();
    return undefined;
  }
  signal.addEventListener("abort", cancel, { once: true });
  return () => signal.removeEventListener("abort", cancel);
}

/** The failure is delivered elsewhere (status, callback, iterator); see {@link observe}. */
function ignoreError(): void {}

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
async function* responses<O>(
  call: grpc.ClientReadableStream<O>,
  answer: Answer,
): AsyncGenerator<O> {
  let finished = false;
  try {
    for await (const message of call) yield message as O;
    finished = true;
    // A failure before the iteration started (a deadline of `1n` fails the call at once)
    // reached no iterator: the stream just ended. It is still the call's outcome.
    if (answer.failure !== undefined) throw answer.failure;
  } catch (err) {
    finished = true;
    throw answer.error(err);
  } finally {
    if (!finished) call.cancel();
  }
}
