// @ts-gateway/runtime/metrics: Prometheus metrics of the gateway (prom-client,
// an optional peer), counted by a pipeline middleware.

export {
  defaultDurationBuckets,
  defaultSizeBuckets,
  gatewayMetrics,
  unmatchedRouteLabel,
} from "./observability/metrics.js";
export type { GatewayMetrics, GatewayMetricsOptions } from "./observability/metrics.js";
export { mountMetrics } from "./observability/mount-metrics.js";
export type { MountMetricsOptions } from "./observability/mount-metrics.js";
