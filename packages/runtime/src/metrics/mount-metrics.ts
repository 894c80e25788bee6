import type { Mux } from "../mux/mux.js";
import { type GatewayMetrics, type GatewayMetricsOptions, gatewayMetrics } from "./metrics.js";

/** Options of {@link mountMetrics}. */
export interface MountMetricsOptions extends GatewayMetricsOptions {
  /** Where the registry is served; default `/metrics`. `false` counts without serving (serve `handler` on an admin port). */
  path?: string | false;
}

/**
 * Counts every call of `mux` in Prometheus metrics (see {@link gatewayMetrics})
 * and serves them at `GET /metrics`. Mount it first, so that it counts what
 * the middlewares after it refuse.
 */
export function mountMetrics(mux: Mux, options: MountMetricsOptions = {}): GatewayMetrics {
  const metrics = gatewayMetrics(options);
  mux.use(metrics.middleware);
  const path = options.path ?? "/metrics";
  if (path !== false) mux.handlePath("GET", path, metrics.handler);
  return metrics;
}
