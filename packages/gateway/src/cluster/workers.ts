import cluster, { type Worker } from "node:cluster";
import { availableParallelism } from "node:os";
import { drainDefaults } from "@ts-gateway/runtime";
import type { GatewayConfig } from "../config/config-schema.js";
import type { Log } from "../shared/defaults.js";

/** Messages a worker sends the primary over the cluster IPC channel. */
export type WorkerMessage =
  | { readonly type: "ts-gateway:listening"; readonly addresses: readonly string[] }
  | { readonly type: "ts-gateway:reloaded"; readonly error?: string };

/**
 * The primary's message hook: `primaryMetricsAggregator` (cluster-metrics.ts)
 * plugs in here, answering workers' `/metrics` scrapes with prom-client's
 * `AggregatorRegistry`, which asks every worker over this same IPC channel.
 */
export type PrimaryMessageHandler = (worker: Worker, message: unknown) => void;

/** How many worker processes `workers` asks for: `auto` is one per core. */
export function workerCount(workers: GatewayConfig["workers"]): number {
  if (workers === "auto") return availableParallelism();
  return workers ?? 1;
}

/** What the primary process needs from the CLI. */
export interface PrimaryOptions {
  readonly count: number;
  readonly log: Log;
  /** Current config's shutdown section (it may change on reload). */
  readonly shutdown: () => GatewayConfig["shutdown"];
  /** Validates the config file again; returns the problems, or undefined when it is fine. */
  readonly validate: () => Promise<string | undefined>;
  /** First set of addresses the workers listen on. */
  readonly onListening: (addresses: readonly string[]) => void;
  readonly onMessage?: PrimaryMessageHandler;
}

/**
 * Runs the cluster primary: forks `count` workers (each a full gateway on the
 * shared listening sockets), replaces one that dies (with a backoff when they
 * die young), forwards SIGHUP after validating the new config, and on SIGTERM
 * or SIGINT drains every worker, killing any still there after drain + grace.
 */
export function runPrimary(options: PrimaryOptions): void {
  const { log } = options;
  let stopping = false;
  let announced = false;
  let quickDeaths = 0;
  const started = new Map<number, number>();

  const fork = (): void => {
    const worker = cluster.fork();
    started.set(worker.id, Date.now());
    worker.on("error", (err) => log(`worker ${worker.process.pid}: ${err.message}`));
    worker.on("message", (message: WorkerMessage) => {
      if (message?.type === "ts-gateway:listening" && !announced) {
        announced = true;
        options.onListening(message.addresses);
      }
      options.onMessage?.(worker, message);
    });
  };

  cluster.on("exit", (worker, code, signal) => {
    const lived = Date.now() - (started.get(worker.id) ?? 0);
    started.delete(worker.id);
    if (stopping) return;
    quickDeaths = lived < 5000 ? quickDeaths + 1 : 0;
    const delay = Math.min(10_000, quickDeaths === 0 ? 0 : 250 * 2 ** quickDeaths);
    log(
      `worker ${worker.process.pid} exited (${signal ?? `code ${code}`}); starting a new one${delay > 0 ? ` in ${delay} ms` : ""}`,
    );
    setTimeout(() => {
      if (!stopping) fork();
    }, delay);
  });

  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    const shutdown = options.shutdown() ?? {};
    const bound =
      (shutdown.drainDelayMs ?? drainDefaults.drainDelayMs) +
      (shutdown.gracePeriodMs ?? drainDefaults.gracePeriodMs) +
      5000;
    log(`${signal}: draining ${Object.keys(cluster.workers ?? {}).length} workers`);
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill("SIGTERM");
    const done = (): void => {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
    };
    cluster.on("exit", done);
    done();
    setTimeout(() => {
      for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill("SIGKILL");
      log(`workers still running after ${bound} ms: killed`);
      process.exit(1);
    }, bound).unref();
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
  process.on("SIGHUP", () => {
    void options.validate().then((problems) => {
      if (problems !== undefined) {
        log(`SIGHUP: config not reloaded:\n${problems}`);
        return;
      }
      for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill("SIGHUP");
    });
  });

  for (let i = 0; i < options.count; i++) fork();
}
