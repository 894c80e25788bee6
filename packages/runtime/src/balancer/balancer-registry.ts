import { experimental } from "@grpc/grpc-js";

/**
 * Channel option carrying a balancer's id down to its load-balancing policy.
 * The prefix keeps it out of subchannel arguments, so subchannels stay shareable.
 * @internal
 */
export const BALANCER_ID_OPTION = `${experimental.SUBCHANNEL_ARGS_EXCLUDE_KEY_PREFIX}.ts_gateway.balancer_id`;

/**
 * Resolver attribute with per-address weights (`{ "host:port": weight }`), read by
 * the `ts_gateway_weighted_round_robin` policy in addition to its configured weights.
 * @internal
 */
export const ENDPOINT_WEIGHTS_ATTRIBUTE = "ts_gateway.endpoint_weights";

/** Connectivity state names, as grpc-js spells them. */
export type ConnectivityStateName =
  | "IDLE"
  | "CONNECTING"
  | "READY"
  | "TRANSIENT_FAILURE"
  | "SHUTDOWN";

/** What the balancer knows about one endpoint. */
export interface EndpointStatus {
  /** `host:port` of the endpoint. */
  readonly address: string;
  /** Connection state of its subchannel (`IDLE` if none was created yet). */
  readonly state: ConnectivityStateName;
  /** Last result of health probing (true while unknown or when probing is disabled). */
  readonly healthy: boolean;
  /** Taken out of rotation by its circuit breaker (see `CircuitBreakerOptions`). */
  readonly ejected: boolean;
}

/** Readiness of one balanced backend. */
export interface BalancerReadiness {
  /** At least one endpoint is connected and healthy. */
  readonly ready: boolean;
  /** Aggregate state of the balancer. */
  readonly state: ConnectivityStateName;
  readonly endpoints: readonly EndpointStatus[];
}

const snapshots = new Map<string, () => BalancerReadiness>();
const ejections = new Map<string, () => ReadonlySet<string>>();

/** Publishes the snapshot function of the balancer with `id` (the latest policy instance wins). @internal */
export function publishBalancer(id: string, snapshot: () => BalancerReadiness): void {
  snapshots.set(id, snapshot);
}

/** Forgets a balancer, if `snapshot` is still the published one. @internal */
export function unpublishBalancer(id: string, snapshot?: () => BalancerReadiness): void {
  if (snapshot === undefined || snapshots.get(id) === snapshot) snapshots.delete(id);
}

/** Publishes the addresses the circuit breaker policy of balancer `id` ejected. @internal */
export function publishEjections(id: string, ejected: () => ReadonlySet<string>): void {
  ejections.set(id, ejected);
}

/** Forgets a balancer's ejections, if `ejected` is still the published function. @internal */
export function unpublishEjections(id: string, ejected: () => ReadonlySet<string>): void {
  if (ejections.get(id) === ejected) ejections.delete(id);
}

/** Reads the readiness of the balancer with `id`; `undefined` before its policy started. @internal */
export function balancerReadiness(id: string): BalancerReadiness | undefined {
  const snapshot = snapshots.get(id)?.();
  const ejected = ejections.get(id)?.();
  if (snapshot === undefined || ejected === undefined || ejected.size === 0) return snapshot;
  const endpoints = snapshot.endpoints.map((e) => ({ ...e, ejected: ejected.has(e.address) }));
  return { ...snapshot, endpoints };
}
