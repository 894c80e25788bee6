import * as grpc from "@grpc/grpc-js";

/**
 * Options of the per-endpoint circuit breaker. Each endpoint has its own
 * cockatiel breaker; when it opens, the endpoint is ejected (gets no calls)
 * for `halfOpenAfterMs`, then the next call through it is the trial.
 */
export interface CircuitBreakerOptions {
  /** Consecutive failed calls on one endpoint that open its circuit; default 5. */
  consecutiveFailures?: number;
  /** How long an open endpoint stays ejected before a trial call; default 5000 ms. */
  halfOpenAfterMs?: number;
  /**
   * At most this percentage of the endpoints is ejected at once, and never all
   * of them; default 50 (Envoy's `max_ejection_percent`, which like this one
   * ejects at least one endpoint of two or more).
   */
  maxEjectionPercent?: number;
  /**
   * Which final statuses of a call that reached an endpoint count as that
   * endpoint's failure; default UNAVAILABLE only. CANCELLED and
   * DEADLINE_EXCEEDED never count, whatever this says: the caller chose them.
   */
  isFailure?: (code: grpc.status) => boolean;
}

/** Statuses the caller causes; never an endpoint's failure. */
const CALLER_CODES: ReadonlySet<grpc.status> = new Set([
  grpc.status.OK,
  grpc.status.CANCELLED,
  grpc.status.DEADLINE_EXCEEDED,
]);

const ALL_CODES = Object.values(grpc.status).filter((v): v is grpc.status => typeof v === "number");

/** JSON shape of the `ts_gateway_circuit_breaker` policy config. @internal */
export interface CircuitBreakerPolicyJson {
  consecutive_failures: number;
  half_open_after_ms: number;
  max_ejection_percent: number;
  /** Status codes (numbers) that count as an endpoint's failure. */
  failure_codes: number[];
  child_policy: object[];
}

/** The policy config for `options`, with defaults applied once. @internal */
export function circuitBreakerConfig(
  options: CircuitBreakerOptions,
  child: object,
): CircuitBreakerPolicyJson {
  const isFailure = options.isFailure ?? ((code) => code === grpc.status.UNAVAILABLE);
  return {
    consecutive_failures: options.consecutiveFailures ?? 5,
    half_open_after_ms: options.halfOpenAfterMs ?? 5000,
    max_ejection_percent: options.maxEjectionPercent ?? 50,
    failure_codes: ALL_CODES.filter((code) => !CALLER_CODES.has(code) && isFailure(code)),
    child_policy: [child],
  };
}

/**
 * How many of `endpoints` may be ejected at once: `percent` of them rounded
 * down, at least one of two or more, never all. @internal
 */
export function ejectionCap(endpoints: number, percent: number): number {
  if (endpoints < 2 || percent <= 0) return 0;
  return Math.min(endpoints - 1, Math.max(1, Math.floor((endpoints * percent) / 100)));
}
