import { experimental } from "@grpc/grpc-js";

/**
 * Channel option carrying a channel's {@link ReadinessSource} down to its
 * load-balancing policy. The prefix keeps it out of subchannel arguments, so
 * subchannels stay shareable.
 * @internal
 */
export const READINESS_SOURCE_OPTION = `${experimental.SUBCHANNEL_ARGS_EXCLUDE_KEY_PREFIX}.ts_gateway.readiness_source`;

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

/**
 * A change of one endpoint as the balancer sees it: its connection
 * (`CONNECTING`, `READY`, `IDLE` once a connection is lost, `TRANSIENT_FAILURE`
 * once per failure streak), its health probe (`UNHEALTHY`, `HEALTHY`) or its
 * circuit breaker (`EJECTED`, `RESTORED`).
 */
export interface EndpointEvent {
  /** The backend's name (`BalancerOptions.name`, or the target). */
  readonly backend: string;
  /** `host:port` of the endpoint. */
  readonly address: string;
  readonly event: ConnectivityStateName | "HEALTHY" | "UNHEALTHY" | "EJECTED" | "RESTORED";
}

/** Readiness of one balanced backend. */
export interface BalancerReadiness {
  /** At least one endpoint is connected and healthy. */
  readonly ready: boolean;
  /** Aggregate state of the balancer. */
  readonly state: ConnectivityStateName;
  readonly endpoints: readonly EndpointStatus[];
}

const BRAND = Symbol.for("@ts-gateway/runtime.ReadinessSource");

/**
 * One balanced channel's readiness, as its load-balancing policies report it:
 * the channel owns it and hands it to the policies (which grpc-js creates) in
 * the {@link READINESS_SOURCE_OPTION} channel option. The health-check policy
 * publishes the endpoints' states; the circuit breaker policy publishes the
 * addresses it ejected.
 * @internal
 */
export class ReadinessSource {
  /**
   * Recognizes a source made by any copy of this module. grpc-js keeps one
   * policy registry per process, so when two copies of the runtime are loaded
   * (an app's and a dependency's, or dist and source in one test process) the
   * policies registered last serve both copies' channels: `instanceof` would
   * not know the other copy's sources, and readiness would stay empty.
   */
  static is(value: unknown): value is ReadinessSource {
    return typeof value === "object" && value !== null && BRAND in value;
  }

  readonly [BRAND] = true;
  #snapshot: (() => BalancerReadiness) | undefined;
  #ejections: (() => ReadonlySet<string>) | undefined;

  /** `onEvent`: where the policies' endpoint events go (`BalancerOptions.onEndpointEvent`). */
  constructor(
    private readonly backend: string = "",
    private readonly onEvent?: (event: EndpointEvent) => void,
  ) {}

  /** A policy reports a change of one endpoint. */
  endpointEvent(address: string, event: EndpointEvent["event"]): void {
    this.onEvent?.({ backend: this.backend, address, event });
  }

  /** The policy instance now serving the channel publishes its snapshot function (the latest wins). */
  publish(snapshot: () => BalancerReadiness): void {
    this.#snapshot = snapshot;
  }

  /** A policy going away withdraws its snapshot function, if it is still the published one. */
  withdraw(snapshot: () => BalancerReadiness): void {
    if (this.#snapshot === snapshot) this.#snapshot = undefined;
  }

  /** The circuit breaker policy now serving the channel publishes the addresses it ejected (the latest wins). */
  publishEjections(ejected: () => ReadonlySet<string>): void {
    this.#ejections = ejected;
  }

  /** A circuit breaker policy going away withdraws its ejections, if they are still the published ones. */
  withdrawEjections(ejected: () => ReadonlySet<string>): void {
    if (this.#ejections === ejected) this.#ejections = undefined;
  }

  /** The readiness; `undefined` before a policy started. */
  read(): BalancerReadiness | undefined {
    const snapshot = this.#snapshot?.();
    const ejected = this.#ejections?.();
    if (snapshot === undefined || ejected === undefined || ejected.size === 0) return snapshot;
    const endpoints = snapshot.endpoints.map((e) => ({ ...e, ejected: ejected.has(e.address) }));
    return { ...snapshot, endpoints };
  }
}
