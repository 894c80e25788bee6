/** Result of {@link parseGrpcTimeout}. */
export type GrpcTimeoutResult = { ok: true; ms: number } | { ok: false; message: string };

/** Milliseconds per unit of the `grpc-timeout` wire format. */
function unitMs(unit: number): number | undefined {
  switch (unit) {
    case 0x48: // H
      return 3_600_000;
    case 0x4d: // M
      return 60_000;
    case 0x53: // S
      return 1_000;
    case 0x6d: // m
      return 1;
    case 0x75: // u
      return 1e-3;
    case 0x6e: // n
      return 1e-6;
    default:
      return undefined;
  }
}

/**
 * Parses a `grpc-timeout` value in the gRPC wire format: 1 to 8 ASCII digits,
 * then a unit: `H` hours, `M` minutes, `S` seconds, `m` milliseconds, `u`
 * microseconds, `n` nanoseconds. Returns the timeout in milliseconds (a
 * fraction for `u`/`n`), or an error result for anything else (the mux
 * answers 400). No whitespace, signs or decimal points are accepted.
 */
export function parseGrpcTimeout(value: string): GrpcTimeoutResult {
  const digits = value.length - 1;
  if (digits < 1 || digits > 8) {
    return invalid(value);
  }
  const ms = unitMs(value.charCodeAt(digits));
  if (ms === undefined) {
    return invalid(value);
  }
  let amount = 0;
  for (let i = 0; i < digits; i++) {
    const c = value.charCodeAt(i) - 0x30;
    if (c < 0 || c > 9) {
      return invalid(value);
    }
    amount = amount * 10 + c;
  }
  return { ok: true, ms: amount * ms };
}

function invalid(value: string): GrpcTimeoutResult {
  const shown = value.length > 32 ? `${value.slice(0, 32)}…` : value;
  return {
    ok: false,
    message: `invalid grpc-timeout ${JSON.stringify(shown)}: want 1-8 digits and a unit (H, M, S, m, u, n)`,
  };
}

const formatUnits: ReadonlyArray<readonly [string, number]> = [
  ["m", 1],
  ["S", 1_000],
  ["M", 60_000],
  ["H", 3_600_000],
];

/**
 * Formats a timeout in milliseconds as a `grpc-timeout` value, like grpc-js
 * does: the finest unit (from `m` up to `H`) whose amount fits in 8 digits,
 * rounding up so the deadline is never shortened. Sub-millisecond timeouts use
 * `u`; a negative timeout is formatted as `0m` (already expired).
 *
 * @throws RangeError for NaN, or for a timeout beyond 99999999 hours (Infinity).
 */
export function formatGrpcTimeout(ms: number): string {
  if (Number.isNaN(ms)) {
    throw new RangeError("grpc-timeout must be a number");
  }
  if (ms <= 0) {
    return "0m";
  }
  if (ms < 1) {
    return `${Math.ceil(ms * 1000)}u`;
  }
  for (const [unit, factor] of formatUnits) {
    const amount = Math.ceil(ms / factor);
    if (amount < 1e8) {
      return `${amount}${unit}`;
    }
  }
  throw new RangeError(`grpc-timeout of ${ms}ms is too large`);
}
