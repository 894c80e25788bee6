import * as grpc from "@grpc/grpc-js";
import {
  BrokenCircuitError,
  type CircuitBreakerPolicy,
  ConsecutiveBreaker,
  circuitBreaker,
  handleAll,
  IsolatedCircuitError,
} from "cockatiel";

/** Options for {@link createCircuitBreaker}. */
export interface CircuitBreakerOptions {
  /** Consecutive failed calls that open the circuit; default 5. */
  consecutiveFailures?: number;
  /** How long the circuit stays open before one trial call; default 5000 ms. */
  halfOpenAfterMs?: number;
  /** Which final statuses count as backend failures; default UNAVAILABLE, DEADLINE_EXCEEDED, INTERNAL, UNKNOWN. */
  isFailure?: (code: grpc.status) => boolean;
}

const DEFAULT_FAILURES = new Set<grpc.status>([
  grpc.status.UNAVAILABLE,
  grpc.status.DEADLINE_EXCEEDED,
  grpc.status.INTERNAL,
  grpc.status.UNKNOWN,
]);

/** Creates a cockatiel circuit breaker for one backend. */
export function createCircuitBreaker(options: CircuitBreakerOptions = {}): CircuitBreakerPolicy {
  return circuitBreaker(handleAll, {
    halfOpenAfter: options.halfOpenAfterMs ?? 5000,
    breaker: new ConsecutiveBreaker(options.consecutiveFailures ?? 5),
  });
}

class CallFailed extends Error {
  constructor(readonly code: grpc.status) {
    super(`call failed with ${grpc.status[code]}`);
  }
}

/**
 * A grpc-js client interceptor that runs every call through `breaker`. When the
 * circuit is open, calls end at once with UNAVAILABLE without touching the
 * network; the final status of each call (after grpc-js retries) feeds the breaker.
 */
export function circuitBreakerInterceptor(
  breaker: CircuitBreakerPolicy,
  isFailure: (code: grpc.status) => boolean = (code) => DEFAULT_FAILURES.has(code),
): grpc.Interceptor {
  return (options, nextCall) => {
    const inner = nextCall(options);
    return new grpc.InterceptingCall(inner, {
      start(metadata, listener, next) {
        let started = false;
        let settle: ((code: grpc.status) => void) | undefined;
        const outcome = new Promise<void>((resolve, reject) => {
          settle = (code) => (isFailure(code) ? reject(new CallFailed(code)) : resolve());
        });
        breaker
          .execute(() => {
            started = true;
            next(metadata, {
              onReceiveStatus(status, nextStatus) {
                settle?.(status.code);
                nextStatus(status);
              },
            });
            return outcome;
          })
          .catch((error: unknown) => {
            if (started) return;
            const open =
              error instanceof BrokenCircuitError || error instanceof IsolatedCircuitError;
            const details = open ? "circuit breaker is open" : `circuit breaker: ${String(error)}`;
            // End the never-started call below us too, so its deadline timer does not linger.
            inner.cancelWithStatus(grpc.status.UNAVAILABLE, details);
            listener.onReceiveStatus({
              code: grpc.status.UNAVAILABLE,
              details,
              metadata: new grpc.Metadata(),
            });
          });
      },
    });
  };
}
