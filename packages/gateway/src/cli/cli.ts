import cluster from "node:cluster";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { parseArgs } from "node:util";
import { z } from "zod";
import { runPrimary, type WorkerMessage, workerCount } from "../cluster/workers.js";
import { unusedOptions } from "../config/config-notes.js";
import { gatewayConfigSchema } from "../config/config-schema.js";
import { ConfigError, type LoadedConfig, loadConfig } from "../config/load-config.js";
import { type RunningGateway, startGateway } from "../lifecycle/gateway.js";
import { listenerScheme } from "../lifecycle/generation.js";
import { loadServices } from "../services/load-services.js";
import { documentTitle } from "../services/openapi-document.js";
import { openApiForSites } from "../services/openapi-sites.js";
import { formatRouteTable } from "../services/route-rows.js";

const usage = `Usage:
  ts-gateway serve <config.yaml> [--print-routes] [--workers <n|auto>]
  ts-gateway check <config.yaml>        validate the config and print the route table
  ts-gateway openapi <config.yaml>      print the OpenAPI 3.1 document of the descriptor sets' routes
  ts-gateway schema                     print the config's JSON Schema (for editors and CI)
  ts-gateway --version

serve runs the HTTP/JSON gateway the config describes. Signals: SIGTERM/SIGINT
drain and stop (readiness 503 first), SIGHUP reloads the config (routes,
backends, certificates) without dropping connections.`;

const log = (message: string): void => {
  const who = cluster.isWorker ? `worker ${process.pid}` : "ts-gateway";
  process.stderr.write(`${who}: ${message}\n`);
};

/** The `ts-gateway` command; `argv` without node and the script. */
export async function main(argv: readonly string[]): Promise<void> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (err) {
    process.stderr.write(`ts-gateway: ${(err as Error).message}\n\n${usage}\n`);
    process.exit(2);
  }
  const { values, positionals } = parsed;
  if (values.version === true) {
    const require = createRequire(import.meta.url);
    process.stdout.write(`${(require("../../package.json") as { version: string }).version}\n`);
    return;
  }
  const [command, file, ...rest] = positionals;
  if (values.help === true || command === undefined) {
    process.stdout.write(`${usage}\n`);
    return;
  }
  if (command === "schema" && file === undefined) {
    const schema = z.toJSONSchema(gatewayConfigSchema, { io: "input" });
    process.stdout.write(`${JSON.stringify(schema, null, 2)}\n`);
    return;
  }
  if (
    !(command === "serve" || command === "check" || command === "openapi") ||
    file === undefined ||
    rest.length > 0
  ) {
    process.stderr.write(`${usage}\n`);
    process.exit(2);
  }
  try {
    if (command === "check") await check(file);
    else if (command === "openapi") await openapi(file);
    else await serve(file, values["print-routes"] === true, values.workers);
  } catch (err) {
    process.stderr.write(`${err instanceof ConfigError ? err.message : String(err)}\n`);
    process.exit(1);
  }
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      "print-routes": { type: "boolean" },
      workers: { type: "string" },
      help: { type: "boolean", short: "h" },
      version: { type: "boolean" },
    },
  });
}

async function check(file: string): Promise<void> {
  const loaded = loadConfig(file);
  const { rows } = await loadServices(loaded, log);
  warnUnused(loaded);
  process.stdout.write(`${formatRouteTable(rows)}\n`);
  process.stdout.write(
    `${file}: ok, ${rows.length} routes, backends ${Object.keys(loaded.config.backends).join(", ")}\n`,
  );
}

/** The document `docs: true` serves: `docs.title`, the mux's JSON options. */
async function openapi(file: string): Promise<void> {
  const loaded = loadConfig(file);
  const routed = (await loadServices(loaded)).services;
  const services = routed.map((s) => s.service);
  const docs = loaded.config.docs;
  const title = typeof docs === "object" ? docs.title : undefined;
  const document = openApiForSites(
    routed,
    documentTitle(services, title),
    loaded.config.mux ?? {},
    listenerScheme(loaded.config),
    (message) =>
      process.stderr.write(`warning: ${message}
`),
  );
  process.stdout.write(`${JSON.stringify(document, null, 2)}\n`);
}

/** Writes a warning line (stderr) for each option that does nothing in this config. */
function warnUnused(loaded: LoadedConfig): void {
  for (const { key, message } of unusedOptions(loaded.config)) {
    process.stderr.write(`warning: ${loaded.where(key)}: ${message}\n`);
  }
}

async function serve(file: string, printRoutes: boolean, workersFlag?: string): Promise<void> {
  let loaded = loadConfig(file);
  if (cluster.isPrimary) warnUnused(loaded);
  const count = workerCount(
    workersFlag === undefined
      ? loaded.config.workers
      : workersFlag === "auto"
        ? "auto"
        : positiveInt(workersFlag),
  );
  if (cluster.isPrimary && count > 1) {
    const { rows } = await loadServices(loaded, log); // fail once, here, not in every worker
    if (printRoutes) process.stdout.write(`${formatRouteTable(rows)}\n`);
    // /metrics in a worker answers with every worker's sum, which the primary collects.
    const onMessage =
      loaded.config.metrics?.enabled === false
        ? undefined
        : (await import("../cluster/cluster-metrics.js")).primaryMetricsAggregator();
    runPrimary({
      count,
      log,
      shutdown: () => loaded.config.shutdown,
      validate: async () => {
        try {
          loaded = loadConfig(file);
          await loadServices(loaded);
          return undefined;
        } catch (err) {
          return err instanceof Error ? err.message : String(err);
        }
      },
      ...(onMessage === undefined ? {} : { onMessage }),
      onListening: (addresses) => {
        for (const a of addresses) process.stdout.write(`listening ${a} (${count} workers)\n`);
      },
    });
    return;
  }

  const gateway = await startGateway(loaded, { log, workerId: String(process.pid) });
  const addresses = gateway.addresses.map(
    (a) => `${a.protocol} ${hostPort(a.address)}${a.admin ? " (admin)" : ""}`,
  );
  if (cluster.isWorker) {
    process.send?.({ type: "ts-gateway:listening", addresses } satisfies WorkerMessage);
  } else {
    if (printRoutes) process.stdout.write(`${formatRouteTable(gateway.routes)}\n`);
    for (const a of addresses) process.stdout.write(`listening ${a}\n`);
  }
  handleSignals(gateway, file, loaded);
}

function handleSignals(gateway: RunningGateway, file: string, loaded: LoadedConfig): void {
  let current = loaded;
  const stop = (signal: NodeJS.Signals): void => {
    const shutdown = current.config.shutdown ?? {};
    // Whatever happens, the process is gone a little after drain + grace.
    const bound = (shutdown.drainDelayMs ?? 5000) + (shutdown.gracePeriodMs ?? 20_000) + 2000;
    setTimeout(() => {
      log(`still running ${bound} ms after ${signal}: exiting`);
      process.exit(1);
    }, bound).unref();
    void gateway.shutdown(signal).then(() => process.exit(0));
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
  process.on("SIGHUP", () => {
    let next: LoadedConfig;
    try {
      next = loadConfig(file);
    } catch (err) {
      log(`SIGHUP: config not reloaded:\n${(err as Error).message}`);
      return;
    }
    gateway.reload(next).then(
      () => {
        current = next;
      },
      (err: unknown) => log(`SIGHUP: config not reloaded:\n${(err as Error).message}`),
    );
  });
}

function hostPort(address: AddressInfo): string {
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  return `${host}:${address.port}`;
}

function positiveInt(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1)
    throw new Error(`--workers takes a number or auto, not "${text}"`);
  return n;
}
