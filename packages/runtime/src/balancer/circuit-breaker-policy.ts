import * as grpc from "@grpc/grpc-js";
import {
  type CircuitBreakerPolicy,
  ConsecutiveBreaker,
  circuitBreaker,
  handleAll,
} from "cockatiel";
import type { ReadinessSource } from "./balancer-readiness.js";
import { ejectionCap } from "./circuit-breaker.js";
import {
  parseChildPolicy,
  UnwrappingPicker,
  type WrappingConfig,
  WrappingLoadBalancer,
} from "./wrapping-policy.js";

const { BaseSubchannelWrapper, registerLoadBalancerType, subchannelAddressToString } =
  grpc.experimental;
type ChannelControlHelper = grpc.experimental.ChannelControlHelper;
type Endpoint = grpc.experimental.Endpoint;
type Picker = grpc.experimental.Picker;
type SubchannelInterface = grpc.experimental.SubchannelInterface;
type TypedLoadBalancingConfig = grpc.experimental.TypedLoadBalancingConfig;

/** Name of the per-endpoint circuit breaker policy in service configs. */
export const CIRCUIT_BREAKER_POLICY = "ts_gateway_circuit_breaker";

function nonNegative(obj: Record<string, unknown>, key: string): number {
  const value = obj[key];
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
    throw new Error(`${CIRCUIT_BREAKER_POLICY}: ${key} must be a non-negative number`);
  }
  return value;
}

class CircuitBreakerConfig implements WrappingConfig {
  constructor(
    readonly consecutiveFailures: number,
    readonly halfOpenAfterMs: number,
    readonly maxEjectionPercent: number,
    readonly failureCodes: ReadonlySet<number>,
    readonly child: TypedLoadBalancingConfig,
  ) {}
  getLoadBalancerName(): string {
    return CIRCUIT_BREAKER_POLICY;
  }
  toJsonObject(): object {
    return {
      [CIRCUIT_BREAKER_POLICY]: {
        consecutive_failures: this.consecutiveFailures,
        half_open_after_ms: this.halfOpenAfterMs,
        max_ejection_percent: this.maxEjectionPercent,
        failure_codes: [...this.failureCodes],
        child_policy: [this.child.toJsonObject()],
      },
    };
  }
  static createFromJson(obj: Record<string, unknown>): CircuitBreakerConfig {
    const child = parseChildPolicy(CIRCUIT_BREAKER_POLICY, obj);
    const codes = obj.failure_codes;
    if (!Array.isArray(codes) || !codes.every((c) => typeof c === "number")) {
      throw new Error(`${CIRCUIT_BREAKER_POLICY}: failure_codes must be an array of status codes`);
    }
    return new CircuitBreakerConfig(
      Math.max(1, nonNegative(obj, "consecutive_failures")),
      nonNegative(obj, "half_open_after_ms"),
      nonNegative(obj, "max_ejection_percent"),
      new Set(codes),
      child,
    );
  }
}

/** One endpoint's breaker, shared by every subchannel to its address. */
class EndpointBreaker {
  readonly breaker: CircuitBreakerPolicy;
  readonly wrappers = new Set<BreakerSubchannel>();
  ejected = false;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly config: CircuitBreakerConfig,
    private readonly mayEject: () => boolean,
    private readonly onChange: (ejected: boolean) => void,
  ) {
    this.breaker = circuitBreaker(handleAll, {
      halfOpenAfter: config.halfOpenAfterMs,
      breaker: new ConsecutiveBreaker(config.consecutiveFailures),
    });
    this.breaker.onBreak(() => this.eject());
  }

  /** Feeds the final status of a call that reached this endpoint. */
  record(code: grpc.status): void {
    const failed = this.config.failureCodes.has(code);
    // Rejections are the breaker's own (open circuit) or this call's failure: both already counted.
    this.breaker
      .execute(() => (failed ? Promise.reject(new Error(grpc.status[code])) : Promise.resolve()))
      .catch(() => undefined);
  }

  private eject(): void {
    if (this.ejected || !this.mayEject()) return;
    this.ejected = true;
    for (const wrapper of this.wrappers) wrapper.setEjected(true);
    this.onChange(true);
    // Re-admit after halfOpenAfter: the first call to end then is cockatiel's half-open trial.
    this.timer = setTimeout(() => this.readmit(), this.config.halfOpenAfterMs);
    this.timer.unref();
  }

  readmit(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    if (!this.ejected) return;
    this.ejected = false;
    for (const wrapper of this.wrappers) wrapper.setEjected(false);
    this.onChange(false);
  }
}

/** A subchannel that reports unhealthy while its endpoint is ejected, which takes it out of rotation. */
class BreakerSubchannel extends BaseSubchannelWrapper {
  constructor(
    child: SubchannelInterface,
    readonly endpoint: EndpointBreaker,
  ) {
    super(child);
    this.setEjected(endpoint.ejected);
  }
  setEjected(ejected: boolean): void {
    this.setHealthy(!ejected);
  }
  getWrappedSubchannel(): SubchannelInterface {
    return this.child;
  }
  /** Called by grpc-js once the last reference is gone: re-resolutions replace subchannels. */
  protected override destroy(): void {
    super.destroy();
    this.endpoint.wrappers.delete(this);
  }
}

/** Counts the end of each call on its endpoint's breaker, and unwraps the subchannel. */
class BreakerPicker extends UnwrappingPicker<BreakerSubchannel> {
  constructor(inner: Picker) {
    super(inner, BreakerSubchannel);
  }
  protected override picked(
    result: grpc.experimental.PickResult,
    wrapper: BreakerSubchannel,
  ): grpc.experimental.PickResult {
    const endpoint = wrapper.endpoint;
    const ended = result.onCallEnded;
    return {
      ...result,
      subchannel: wrapper.getWrappedSubchannel(),
      // grpc-js calls this only for calls started on the endpoint: calls that
      // never left the gateway (no endpoint, deadline before the pick) do not count.
      onCallEnded: (code, details, metadata) => {
        endpoint.record(code);
        ended?.(code, details, metadata);
      },
    };
  }
}

/**
 * Wraps a child policy and keeps a cockatiel breaker per endpoint: an endpoint
 * whose calls fail `consecutive_failures` times in a row (counting only
 * `failure_codes`) is ejected for `half_open_after_ms`, as long as no more than
 * `max_ejection_percent` of the endpoints (and never all) are ejected.
 * @internal
 */
class CircuitBreakerLoadBalancer extends WrappingLoadBalancer<CircuitBreakerConfig> {
  private readonly endpoints = new Map<string, EndpointBreaker>();
  private readonly ejections = (): ReadonlySet<string> => {
    const ejected = new Set<string>();
    for (const [address, endpoint] of this.endpoints) if (endpoint.ejected) ejected.add(address);
    return ejected;
  };

  constructor(helper: ChannelControlHelper) {
    super(helper, CircuitBreakerConfig);
  }

  protected wrapSubchannel(subchannel: SubchannelInterface, address: string): SubchannelInterface {
    const endpoint = this.endpointFor(address);
    if (endpoint === undefined) return subchannel;
    const wrapper = new BreakerSubchannel(subchannel, endpoint);
    endpoint.wrappers.add(wrapper);
    return wrapper;
  }

  protected childStateChanged(
    state: grpc.connectivityState,
    picker: Picker,
    error: string | null,
  ): void {
    this.helper.updateState(state, new BreakerPicker(picker), error);
  }

  protected publish(source: ReadinessSource): void {
    source.publishEjections(this.ejections);
  }

  protected withdraw(source: ReadinessSource): void {
    source.withdrawEjections(this.ejections);
  }

  private endpointFor(address: string): EndpointBreaker | undefined {
    const config = this.config;
    if (config === null) return undefined;
    let endpoint = this.endpoints.get(address);
    if (endpoint === undefined) {
      endpoint = new EndpointBreaker(
        config,
        () => this.mayEject(),
        (ejected) => this.endpointEvent(address, ejected ? "EJECTED" : "RESTORED"),
      );
      this.endpoints.set(address, endpoint);
    }
    return endpoint;
  }

  private mayEject(): boolean {
    const percent = this.config?.maxEjectionPercent ?? 0;
    let ejected = 0;
    for (const endpoint of this.endpoints.values()) if (endpoint.ejected) ejected++;
    return ejected < ejectionCap(this.endpoints.size, percent);
  }

  updateAddressList(
    endpoints: grpc.experimental.StatusOr<Endpoint[]>,
    config: TypedLoadBalancingConfig,
    options: grpc.ChannelOptions,
    note: string,
  ): boolean {
    if (!this.adopt(config, options)) return false;
    if (endpoints.ok) {
      const addresses = new Set(
        endpoints.value.flatMap((e) => e.addresses.map(subchannelAddressToString)),
      );
      for (const [address, endpoint] of this.endpoints) {
        if (!addresses.has(address)) {
          endpoint.readmit();
          this.endpoints.delete(address);
        }
      }
      for (const address of addresses) this.endpointFor(address);
    }
    return this.child.updateAddressList(endpoints, config.child, options, note);
  }

  override destroy(): void {
    for (const endpoint of this.endpoints.values()) endpoint.readmit();
    this.endpoints.clear();
    super.destroy();
  }

  getTypeName(): string {
    return CIRCUIT_BREAKER_POLICY;
  }
}

let registered = false;

/** Registers `ts_gateway_circuit_breaker` with grpc-js (idempotent). @internal */
export function registerCircuitBreakerPolicy(): void {
  if (registered) return;
  registered = true;
  registerLoadBalancerType(
    CIRCUIT_BREAKER_POLICY,
    CircuitBreakerLoadBalancer,
    CircuitBreakerConfig,
  );
}
