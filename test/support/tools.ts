// The external tools integration tests run (etcd, nginx, Prometheus…), found
// the same way for every tool. A missing tool fails the test file that needs
// it with the line that installs it, unless TS_GATEWAY_SKIP names it
// (TS_GATEWAY_SKIP=nginx,haproxy): then its tests are skipped, saying why.
import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";

/** Each tool: the Debian package that brings it, and where it may live off PATH. */
const tools = {
  etcd: { apt: "etcd-server", paths: [] },
  nginx: { apt: "nginx", paths: ["/usr/sbin/nginx"] },
  haproxy: { apt: "haproxy", paths: ["/usr/sbin/haproxy"] },
  dnsmasq: { apt: "dnsmasq-base", paths: ["/usr/sbin/dnsmasq"] },
  prometheus: { apt: "prometheus", paths: [] },
  promtool: { apt: "prometheus", paths: [] },
  "redis-server": { apt: "redis-server", paths: [] },
  chromium: { apt: "chromium", paths: [] },
  openssl: { apt: "openssl", paths: [] },
} as const satisfies Record<string, { apt: string; paths: readonly string[] }>;

export type ToolName = keyof typeof tools;

/** A tool that was found (`bin`), or one skipped on purpose (`skip`, the reason). */
export type Tool = { bin: string; skip: false } | { bin: undefined; skip: string };

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The tools TS_GATEWAY_SKIP names (comma or space separated). */
export function skippedTools(env: NodeJS.ProcessEnv = process.env): Set<string> {
  return new Set((env.TS_GATEWAY_SKIP ?? "").split(/[\s,]+/).filter((t) => t !== ""));
}

/**
 * Finds `name` on PATH (or its usual place): `{ bin }` when there, `{ skip }`
 * when TS_GATEWAY_SKIP names it; otherwise throws with the install line, so
 * the test file fails instead of passing without having run.
 */
export function tool(name: ToolName, env: NodeJS.ProcessEnv = process.env): Tool {
  if (skippedTools(env).has(name)) return { bin: undefined, skip: `TS_GATEWAY_SKIP=${name}` };
  const { apt, paths } = tools[name];
  const candidates = [...(env.PATH ?? "").split(delimiter).map((dir) => join(dir, name)), ...paths];
  const bin = candidates.find(executable);
  if (bin !== undefined) return { bin, skip: false };
  throw new Error(
    `${name} is not installed: apt-get install -y ${apt} (as .ci/run does), or set TS_GATEWAY_SKIP=${name} to skip the tests that need it`,
  );
}
