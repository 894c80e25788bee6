import type { GatewayConfig } from "./config-schema.js";

// What a valid config may still get wrong without a word: keys that do nothing
// in it, and keys a SIGHUP reload cannot apply.

/** A key of the config (as `where` takes it) and what is wrong with it. */
export interface ConfigNote {
  readonly key: readonly (string | number)[];
  readonly message: string;
}

/** The sections a present `enabled: false` turns off, whatever else they say. */
const switchable = [
  "metrics",
  "accessLog",
  "tracing",
  "auth",
  "rateLimit",
  "cors",
  "compression",
  "deprecation",
  "docs",
] as const satisfies readonly (keyof GatewayConfig)[];

/**
 * Options that do nothing in this config: a backend no service calls,
 * `mux.allowedOrigins` without `server.webSocket`, and the other keys of a
 * section that says `enabled: false`. `ts-gateway check` and `serve` print them.
 */
export function unusedOptions(config: GatewayConfig): ConfigNote[] {
  const notes: ConfigNote[] = [];
  const used = new Set(config.services.map((s) => s.backend));
  for (const name of Object.keys(config.backends)) {
    if (!used.has(name)) notes.push({ key: ["backends", name], message: "no service uses it" });
  }
  if (config.mux?.allowedOrigins !== undefined && config.server.webSocket !== true) {
    notes.push({
      key: ["mux", "allowedOrigins"],
      message: "does nothing without server.webSocket: true (it lists who may open a WebSocket)",
    });
  }
  for (const section of switchable) {
    const value = config[section] as { enabled?: boolean } | undefined;
    if (value?.enabled !== false) continue;
    const others = Object.keys(value).filter((k) => k !== "enabled");
    if (others.length > 0) {
      notes.push({
        key: [section],
        message: `enabled is false, so ${others.join(", ")} ${others.length === 1 ? "does" : "do"} nothing`,
      });
    }
  }
  return notes;
}

/**
 * The keys read once when the process starts: listeners and their server
 * options, the admin listener, workers, and what is built once so that its
 * counters survive reloads (metrics, access log, tracing).
 */
const restartOnly: Readonly<Record<string, (c: GatewayConfig) => unknown>> = {
  "server.listeners": (c) => c.server.listeners,
  "server.workerHeader": (c) => c.server.workerHeader,
  "server.keepAliveTimeoutMs": (c) => c.server.keepAliveTimeoutMs,
  "server.headersTimeoutMs": (c) => c.server.headersTimeoutMs,
  "server.requestTimeoutMs": (c) => c.server.requestTimeoutMs,
  "server.bodyIdleTimeoutMs": (c) => c.server.bodyIdleTimeoutMs,
  "server.maxConnections": (c) => c.server.maxConnections,
  "admin.listener": (c) => c.admin?.listener,
  workers: (c) => c.workers,
  metrics: (c) => c.metrics,
  accessLog: (c) => c.accessLog,
  tracing: (c) => c.tracing,
};

/** The restart-only keys whose value differs between two configs, in the order above. */
export function restartOnlyChanges(previous: GatewayConfig, next: GatewayConfig): string[] {
  return Object.entries(restartOnly)
    .filter(([, read]) => JSON.stringify(read(previous)) !== JSON.stringify(read(next)))
    .map(([key]) => key);
}
