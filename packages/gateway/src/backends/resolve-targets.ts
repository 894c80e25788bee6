import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import type { GatewayConfig } from "../config/config-schema.js";

/** How long a reload waits for the new backends' names to resolve. */
export const resolveTimeoutMs = 5000;

/**
 * The host names a backend target asks the system's resolver for: `host` of
 * `dns:///host:port` and of each `host:port` of a list or a bare target;
 * none for IP addresses, for `dns://server/host:port` (asked of that server,
 * which this process's resolver may not know), and for `etcd:`, `unix:`,
 * `ipv4:`, `ipv6:` and other schemes, which resolve otherwise.
 */
export function targetHosts(target: string | readonly string[]): string[] {
  const hosts: string[] = [];
  for (const t of typeof target === "string" ? [target] : target) {
    let hostPort = t;
    const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(t)?.[1]?.toLowerCase();
    if (scheme === "dns") {
      if (/^dns:\/\/[^/]/i.test(t)) continue;
      hostPort = t.replace(/^dns:(\/\/\/)?/i, "");
    } else if (scheme !== undefined && !/^[^:]+:\d+$/.test(t)) continue;
    const host = hostPort.startsWith("[")
      ? hostPort.slice(1, hostPort.indexOf("]"))
      : hostPort.replace(/:\d*$/, "");
    if (host !== "" && isIP(host) === 0) hosts.push(host);
  }
  return hosts;
}

/**
 * The backends of `next` that are new or changed since `running` and whose
 * host names do not resolve within {@link resolveTimeoutMs}, as messages. A
 * reload with any is refused and the running config kept, as nginx refuses
 * one whose upstream host is not found: the old backends go on serving
 * instead of a backend that would answer every call with 503.
 */
export async function unresolvedBackends(
  next: GatewayConfig,
  running: GatewayConfig,
  timeoutMs = resolveTimeoutMs,
): Promise<string[]> {
  const checks: Promise<string | undefined>[] = [];
  for (const [name, backend] of Object.entries(next.backends)) {
    if (JSON.stringify(running.backends[name]?.target) === JSON.stringify(backend.target)) continue;
    for (const host of targetHosts(backend.target)) {
      checks.push(
        resolves(host, timeoutMs).then((error) =>
          error === undefined
            ? undefined
            : `backend "${name}": ${host} does not resolve (${error})`,
        ),
      );
    }
  }
  return (await Promise.all(checks)).filter((m): m is string => m !== undefined);
}

/** Undefined once `host` resolves, else why not. */
async function resolves(host: string, timeoutMs: number): Promise<string | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(`no answer in ${timeoutMs} ms`), timeoutMs);
  });
  try {
    return await Promise.race([
      lookup(host).then(
        () => undefined,
        (err: NodeJS.ErrnoException) => err.code ?? err.message,
      ),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}
