// @ts-gateway/runtime/metrics: Prometheus metrics of the gateway (prom-client,
// an optional peer), counted by a pipeline middleware.

export type { GatewayMetrics, GatewayMetricsOptions } from "./metrics.js";
export {
  defaultDurationBuckets,
  defaultSizeBuckets,
  gatewayMetrics,
  unmatchedRouteLabel,
} from "./metrics.js";
export type { MountMetricsOptions } from "./mount-metrics.js";
export { mountMetrics } from "./mount-metrics.js";
