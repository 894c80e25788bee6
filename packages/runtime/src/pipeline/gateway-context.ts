import type { IncomingMessage, ServerResponse } from "node:http";
import { Metadata } from "@grpc/grpc-js";
import type { CallContext, CancelSource } from "../core/call-context.js";
import { callTimeout, maxTimerMs, type TimeoutPolicy } from "../core/deadline.js";
import type { CallMetadata } from "../core/metadata.js";
import { Code, RpcError } from "../core/rpc-error.js";
import { type HeaderMatcher, metadataFromHeaders } from "../headers/header-matcher.js";
import type { PipelineCall } from "./pipeline.js";

/** What making a call context takes: the header rules and the timeout policy. @internal */
export interface CallSetup {
  readonly headerMatcher: HeaderMatcher | undefined;
  readonly timeouts: TimeoutPolicy;
}

/**
 * The call context of one HTTP request: metadata from its headers, the deadline
 * from `Grpc-Timeout` (or the mux's default, capped at its maximum), and a
 * signal aborted when the client goes away (CANCELLED: the gRPC call is
 * cancelled) or the deadline passes (DEADLINE_EXCEEDED: the gateway enforces
 * it itself, so an in-process implementation that ignores it still ends in 504).
 * @internal
 */
export function gatewayContext(
  req: IncomingMessage,
  res: ServerResponse,
  options: CallSetup,
  call?: PipelineCall,
): GatewayCallContext | RpcError {
  let metadata: CallMetadata;
  if (call === undefined) {
    const md = metadataFromHeaders(req.headers, {
      headerMatcher: options.headerMatcher,
      peerAddress: req.socket.remoteAddress,
    });
    if (!md.ok) return new RpcError(md.message, Code.InvalidArgument);
    metadata = md.metadata;
  } else {
    // The pipeline made the metadata before its middlewares ran (they may have edited it).
    if (call.metadataError !== undefined) return call.metadataError;
    metadata = call.metadata;
  }
  const timeout = callTimeout(req.headers["grpc-timeout"], options.timeouts);
  if (!timeout.ok) return new RpcError(timeout.message, Code.InvalidArgument);
  const ms = timeout.ms;
  const context = new GatewayCallContext(
    metadata,
    ms === undefined ? undefined : new Date(Date.now() + ms),
    call === undefined ? undefined : (address) => call.reachedEndpoint(address),
  );
  if (call !== undefined) call.context = context;
  let timer: NodeJS.Timeout | undefined;
  if (ms !== undefined && ms <= maxTimerMs) {
    timer = setTimeout(
      () => context.expire(new RpcError(`deadline of ${ms}ms exceeded`, Code.DeadlineExceeded)),
      ms,
    );
  }
  res.once("close", () => {
    if (timer !== undefined) clearTimeout(timer);
    if (!res.writableFinished)
      context.cancel(new RpcError("HTTP client went away", Code.Cancelled));
  });
  return context;
}

/**
 * A gateway call's context. Its AbortSignal is created only when read: most
 * calls never cancel, and an AbortController plus listener costs several µs
 * per request. The grpc-js client registers through its
 * {@link CancelSource.onCancel} instead of reading the signal.
 * @internal
 */
export class GatewayCallContext implements CallContext, CancelSource {
  readonly metadata: CallMetadata;
  readonly deadline: Date | undefined;
  readonly responseMetadata = new Metadata();
  readonly responseTrailers = new Metadata();
  #controller: AbortController | undefined;
  #reason: RpcError | undefined;
  #listeners: Array<() => void> | undefined;
  #racers: Array<(reason: RpcError) => void> | undefined;
  /** Ended by {@link cancel} (not by the deadline). */
  #cancelled = false;

  /**
   * Told the backend endpoint by the grpc-js client (a context is its call
   * options), for the pipeline's outcome; undefined without middlewares.
   */
  readonly onEndpoint: ((address: string) => void) | undefined;

  constructor(
    metadata: CallMetadata,
    deadline: Date | undefined,
    onEndpoint?: (address: string) => void,
  ) {
    this.metadata = metadata;
    this.deadline = deadline;
    this.onEndpoint = onEndpoint;
  }

  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.#reason !== undefined) this.#controller.abort(this.#reason);
    }
    return this.#controller.signal;
  }

  /**
   * Cancels the call (once), e.g. when the client went away: aborts the
   * signal, runs the cancel listeners (a grpc-js client cancels its call) and
   * settles {@link race}.
   */
  cancel(reason: RpcError): void {
    if (this.#end(reason)) return;
    this.#cancelled = true;
    const listeners = this.#listeners;
    this.#listeners = undefined;
    if (listeners !== undefined) for (const listener of listeners) listener();
  }

  /**
   * Ends the call at its deadline: aborts the signal (an in-process
   * implementation sees DEADLINE_EXCEEDED) and settles {@link race}. A grpc-js
   * call is left to its own deadline, so its status stays DEADLINE_EXCEEDED
   * rather than CANCELLED.
   */
  expire(reason: RpcError): void {
    this.#end(reason);
  }

  /** Records the reason, aborts the signal and rejects racers; true if already ended. */
  #end(reason: RpcError): boolean {
    if (this.#reason !== undefined) return true;
    this.#reason = reason;
    this.#controller?.abort(reason);
    const racers = this.#racers;
    this.#racers = undefined;
    if (racers !== undefined) for (const racer of racers) racer(reason);
    return false;
  }

  /**
   * The backend's result, or, when the call has a deadline and it passes (or
   * the call is cancelled) first, a rejection with the reason: the gateway
   * answers 504 on time even if an in-process implementation ignores its
   * signal. Without a deadline, the result as it is.
   */
  race<T>(result: T | PromiseLike<T>): T | PromiseLike<T> {
    if (this.deadline === undefined) return result;
    return new Promise<T>((resolve, reject) => {
      if (this.#reason !== undefined) {
        reject(this.#reason);
        return;
      }
      if (this.#racers === undefined) this.#racers = [reject];
      else this.#racers.push(reject);
      Promise.resolve(result).then(resolve, reject);
    });
  }

  /**
   * Calls `listener` with the reason when the call ends by its deadline or is
   * cancelled (at once if it has), after the signal was aborted: a stream
   * ends on time even when an in-process implementation ignores its signal.
   */
  onEnd(listener: (reason: RpcError) => void): void {
    if (this.#reason !== undefined) listener(this.#reason);
    else if (this.#racers === undefined) this.#racers = [listener];
    else this.#racers.push(listener);
  }

  onCancel(listener: () => void): () => void {
    if (this.#reason !== undefined) {
      if (this.#cancelled) listener();
      return noop;
    }
    if (this.#listeners === undefined) this.#listeners = [listener];
    else this.#listeners.push(listener);
    return () => {
      const i = this.#listeners?.indexOf(listener) ?? -1;
      if (i !== -1) this.#listeners?.splice(i, 1);
    };
  }
}

function noop(): void {}
