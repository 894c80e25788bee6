import { parseGrpcTimeout } from "./grpc-timeout.js";

/** The mux's timeout policy, resolved from `defaultTimeoutMs` and `maxTimeoutMs`. @internal */
export interface TimeoutPolicy {
  /** Timeout of calls whose request has no `Grpc-Timeout`; undefined: none. */
  readonly defaultMs: number | undefined;
  /** Upper bound of any call's timeout, also of one a client asks for; undefined: none. */
  readonly maxMs: number | undefined;
}

/** Result of {@link callTimeout}: the timeout in ms (undefined: no deadline), or why the header is bad. */
export type CallTimeoutResult =
  | { ok: true; ms: number | undefined }
  | { ok: false; message: string };

/**
 * The timeout of one call: the request's `Grpc-Timeout` header if any (an
 * invalid one is an error result, answered with 400), else the mux's default;
 * either capped at the mux's maximum.
 *
 * @param header - the request's `grpc-timeout` header value
 */
export function callTimeout(
  header: string | string[] | undefined,
  policy: TimeoutPolicy,
): CallTimeoutResult {
  let ms = policy.defaultMs;
  if (header !== undefined) {
    if (typeof header !== "string") {
      return { ok: false, message: "more than one grpc-timeout header" };
    }
    const parsed = parseGrpcTimeout(header);
    if (!parsed.ok) {
      return parsed;
    }
    ms = parsed.ms;
  }
  if (policy.maxMs !== undefined && (ms === undefined || ms > policy.maxMs)) {
    ms = policy.maxMs;
  }
  return { ok: true, ms };
}

/** The longest delay `setTimeout` honours (about 24.8 days); longer ones fire at once. */
export const maxTimerMs = 2_147_483_647;

/**
 * Validates the timeout options of a mux: a non-negative finite number of
 * milliseconds, or undefined (0 also means "none").
 *
 * @throws RangeError for a negative, NaN or infinite value.
 */
export function timeoutPolicy(
  defaultMs: number | undefined,
  maxMs: number | undefined,
): TimeoutPolicy {
  return {
    defaultMs: checkMs("defaultTimeoutMs", defaultMs),
    maxMs: checkMs("maxTimeoutMs", maxMs),
  };
}

function checkMs(name: string, ms: number | undefined): number | undefined {
  if (ms === undefined || ms === 0) {
    return undefined;
  }
  if (!Number.isFinite(ms) || ms < 0) {
    throw new RangeError(`${name} must be a non-negative number of milliseconds, got ${ms}`);
  }
  return ms;
}
