import cluster from "node:cluster";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Channel } from "@grpc/grpc-js";
import type { Middleware } from "@ts-gateway/runtime";
import type { GatewayConfig } from "../config/config-schema.js";

/**
 * The process's metrics, access log and traces: built once per process, so
 * counters keep counting across SIGHUP reloads; every generation's mux gets
 * the same middlewares.
 */
export interface Observability {
  /** In mounting order (before the edge policies): metrics, tracing, access log. */
  readonly middlewares: readonly Middleware[];
  /** The `/metrics` route, when metrics are on: the whole cluster's sum in a worker. */
  readonly metrics: { readonly path: string; readonly handler: Handler } | undefined;
  /** The balanced channels whose gauges are exported; replaced on reload. */
  setBackends(channels: readonly Channel[]): void;
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * Builds what the `metrics`, `tracing` and `accessLog` sections ask for.
 * `workerId` labels `ts_gateway_worker_requests_total`, which shows how the
 * calls spread over the workers (the other series are summed across them).
 */
export async function createObservability(
  config: GatewayConfig,
  workerId: string,
): Promise<Observability> {
  const middlewares: Middleware[] = [];
  const backends: Channel[] = [];
  let metrics: Observability["metrics"];

  const m = config.metrics ?? {};
  if (m.enabled !== false) {
    const [{ gatewayMetrics }, { Counter, Registry }] = await Promise.all([
      import("@ts-gateway/runtime/metrics"),
      import("prom-client"),
    ]);
    const registry = new Registry();
    const gateway = gatewayMetrics({
      registry,
      collectDefaultMetrics: m.processMetrics !== false,
      backends,
    });
    const perWorker = new Counter({
      name: "ts_gateway_worker_requests_total",
      help: "HTTP requests served, by the worker process (pid) that served them.",
      labelNames: ["worker"],
      registers: [registry],
    });
    const labels = { worker: workerId };
    middlewares.push(gateway.middleware, (_call, next) => {
      perWorker.inc(labels);
      return next();
    });
    let handler: Handler = gateway.handler;
    if (cluster.isWorker) {
      const { workerMetricsHandler } = await import("../cluster/cluster-metrics.js");
      handler = workerMetricsHandler(registry);
    }
    metrics = { path: m.path ?? "/metrics", handler };
  }
  if (config.tracing !== undefined && config.tracing.enabled !== false) {
    const { tracing } = await import("@ts-gateway/runtime/tracing");
    const skipped = new Set([metrics?.path]);
    middlewares.push(tracing({ skip: (call) => skipped.has(call.route?.template) }));
  }
  const log = config.accessLog;
  if (log !== undefined && log.enabled !== false) {
    const [{ accessLog }, { pino }] = await Promise.all([
      import("@ts-gateway/runtime"),
      import("pino"),
    ]);
    // pino's asynchronous destination: a busy gateway never waits on stdout.
    const logger = pino(
      { level: log.level ?? "info", base: { pid: process.pid } },
      pino.destination({ dest: 1, sync: false }),
    );
    middlewares.push(
      accessLog({
        logger,
        ...(log.headers === undefined ? {} : { headers: log.headers }),
        ...(log.redact === undefined ? {} : { redact: log.redact }),
        ...(log.requestIdHeader === undefined ? {} : { requestIdHeader: log.requestIdHeader }),
      }),
    );
  }
  return {
    middlewares,
    metrics,
    setBackends(channels) {
      backends.splice(0, backends.length, ...channels);
    },
  };
}
