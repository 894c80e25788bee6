import { Metadata } from "@grpc/grpc-js";

/**
 * What an implementation of a service method sees of one call, whether the call
 * arrived over gRPC (through `grpcHandlers`) or from the HTTP gateway in-process.
 * A generated client accepts the same object as its call options, so a gateway
 * passes one context straight through to the remote backend.
 */
export interface CallContext {
  /** Incoming request metadata (HTTP headers mapped by the gateway's header rules). */
  readonly metadata: Metadata;
  /** The call's deadline, when the caller set one. */
  readonly deadline: Date | undefined;
  /** Aborted when the caller cancels, disconnects or the deadline passes. */
  readonly signal: AbortSignal;
  /** Response header metadata: set by an implementation, filled in by a client. */
  readonly responseMetadata: Metadata;
  /** Response trailer metadata: set by an implementation, filled in by a client. */
  readonly responseTrailers: Metadata;
}

/**
 * Cancellation as a callback rather than an AbortSignal, between whoever owns
 * a call (the gateway's context) and the transport that runs it (the grpc-js
 * client): creating an AbortController and a listener per call costs several
 * µs, and most calls never cancel.
 */
export interface CancelSource {
  /**
   * Registers `listener`, called once when the call is cancelled (at once if it
   * already was; not when its deadline passes, which the transport enforces
   * itself), and returns a function that unregisters it.
   */
  onCancel(listener: () => void): () => void;
}

/**
 * Per-call options of a generated client. A {@link CallContext} is valid call
 * options; when they also implement {@link CancelSource}, the transport uses
 * `onCancel` instead of `signal`.
 */
export interface CallOptions extends Partial<CancelSource> {
  /** Request metadata to send. */
  metadata?: Metadata | undefined;
  /** Absolute deadline (a Date, or milliseconds since the epoch). */
  deadline?: Date | number | undefined;
  /** Relative timeout in milliseconds; the earlier of this and `deadline` wins. */
  timeoutMs?: number | undefined;
  /** Cancels the call when aborted. */
  signal?: AbortSignal | undefined;
  /** When given, response header metadata is merged into it as it arrives. */
  responseMetadata?: Metadata | undefined;
  /** When given, response trailer metadata is merged into it when the call ends. */
  responseTrailers?: Metadata | undefined;
}

/** Options to {@link createCallContext}. */
export interface CallContextInit {
  metadata?: Metadata | undefined;
  deadline?: Date | undefined;
  signal?: AbortSignal | undefined;
}

/** Creates a call context, e.g. to call a local implementation directly in tests. */
export function createCallContext(init: CallContextInit = {}): CallContext {
  return {
    metadata: init.metadata ?? new Metadata(),
    deadline: init.deadline,
    signal: init.signal ?? new AbortController().signal,
    responseMetadata: new Metadata(),
    responseTrailers: new Metadata(),
  };
}

/** Copies every entry of `from` into `to`. @internal */
export function mergeMetadata(to: Metadata, from: Metadata): void {
  for (const [key, values] of Object.entries(from.getMap())) {
    if (values === undefined) continue;
    for (const value of from.get(key)) to.add(key, value);
  }
}
