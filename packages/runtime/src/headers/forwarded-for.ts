// X-Forwarded-For and X-Forwarded-Host: what the gateway tells the backend about the client.

/** The first of a header's values. */
export function firstValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/**
 * The `X-Forwarded-For` value to send on: the existing header's value(s) with
 * `peerAddress` appended (`"a, b"` + `"c"` → `"a, b, c"`). An IPv4-mapped IPv6
 * address (`::ffff:127.0.0.1`, as Node reports IPv4 peers on a dual-stack
 * socket) is written as plain IPv4. Returns the existing value when there is
 * no peer address, undefined when there is neither.
 */
export function forwardedFor(
  existing: string | string[] | undefined,
  peerAddress: string | undefined,
): string | undefined {
  const previous = Array.isArray(existing) ? existing.join(", ") : existing;
  if (peerAddress === undefined || peerAddress.length === 0) {
    return previous;
  }
  const peer =
    peerAddress.startsWith("::ffff:") && peerAddress.includes(".")
      ? peerAddress.slice("::ffff:".length)
      : peerAddress;
  return previous === undefined || previous.length === 0 ? peer : `${previous}, ${peer}`;
}
