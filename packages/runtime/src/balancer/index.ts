// @ts-gateway/runtime/balancer: client-side balancing for grpc-js channels
// (policies, static and DNS targets, health probing, outlier detection,
// retries, the circuit breaker). Loads cockatiel; etcd targets load etcd3
// on first use (see @ts-gateway/runtime/etcd to register a server).

export { idempotentMethods } from "../core/idempotent-methods.js";
export type {
  BackendEndpoint,
  BackendTlsOptions,
  BalancerOptions,
  KeepaliveOptions,
} from "./balancer.js";
export {
  BalancedChannel,
  backendName,
  channelOptionsFor,
  createChannel,
  readiness,
  registerBalancers,
} from "./balancer.js";
export type {
  BalancerReadiness,
  ConnectivityStateName,
  EndpointStatus,
} from "./balancer-readiness.js";
export type { CircuitBreakerOptions } from "./circuit-breaker.js";
export type {
  BalancingPolicy,
  HealthCheckOptions,
  OutlierDetectionOptions,
  RetryOptions,
  ServiceConfigOptions,
} from "./service-config.js";
