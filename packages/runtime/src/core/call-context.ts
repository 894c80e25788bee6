import { type CallMetadata, createMetadata } from "./metadata.js";

/**
 * What an implementation of a service method sees of one call, whether the call
 * arrived over gRPC (through `grpcHandlers`) or from the HTTP gateway in-process.
 * A generated client accepts the same object as its call options, so a gateway
 * passes one context straight through to the remote backend.
 */
export interface CallContext {
  /**
   * Incoming request metadata (HTTP headers mapped by the gateway's header
   * rules). Over grpc-js, and from the gateway, it is a grpc-js `Metadata`.
   */
  readonly metadata: CallMetadata;
  /** The call's deadline, when the caller set one. */
  readonly deadline: Date | undefined;
  /** Aborted when the caller cancels, disconnects or the deadline passes. */
  readonly signal: AbortSignal;
  /** Response header metadata: set by an implementation, filled in by a client. */
  readonly responseMetadata: CallMetadata;
  /** Response trailer metadata: set by an implementation, filled in by a client. */
  readonly responseTrailers: CallMetadata;
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
  /** Request metadata to send (a grpc-js `Metadata` is sent as is, other metadata copied). */
  metadata?: CallMetadata | undefined;
  /** Absolute deadline (a Date, or milliseconds since the epoch). */
  deadline?: Date | number | undefined;
  /** Relative timeout in milliseconds; the earlier of this and `deadline` wins. */
  timeoutMs?: number | undefined;
  /** Cancels the call when aborted. */
  signal?: AbortSignal | undefined;
  /** When given, response header metadata is merged into it as it arrives. */
  responseMetadata?: CallMetadata | undefined;
  /** When given, response trailer metadata is merged into it when the call ends. */
  responseTrailers?: CallMetadata | undefined;
  /**
   * When given, called as the call ends with the address (`host:port`) of the
   * backend endpoint that served it, where the transport knows one (grpc-js:
   * a call that reached an endpoint).
   */
  onEndpoint?: ((address: string) => void) | undefined;
}

/** Options to {@link createCallContext}. */
export interface CallContextInit {
  metadata?: CallMetadata | undefined;
  deadline?: Date | undefined;
  signal?: AbortSignal | undefined;
}

/** Creates a call context, e.g. to call a local implementation directly in tests. */
export function createCallContext(init: CallContextInit = {}): CallContext {
  return {
    metadata: init.metadata ?? createMetadata(),
    deadline: init.deadline,
    signal: init.signal ?? new AbortController().signal,
    responseMetadata: createMetadata(),
    responseTrailers: createMetadata(),
  };
}
