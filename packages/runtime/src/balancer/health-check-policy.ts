import * as grpc from "@grpc/grpc-js";
import type {
  BalancerReadiness,
  ConnectivityStateName,
  EndpointStatus,
  ReadinessSource,
} from "./balancer-readiness.js";
import { HealthProbedSubchannel } from "./health-probe.js";
import {
  parseChildPolicy,
  UnwrappingPicker,
  type WrappingConfig,
  WrappingLoadBalancer,
} from "./wrapping-policy.js";

const { registerLoadBalancerType, subchannelAddressToString, UnavailablePicker } =
  grpc.experimental;
type ChannelControlHelper = grpc.experimental.ChannelControlHelper;
type Endpoint = grpc.experimental.Endpoint;
type Picker = grpc.experimental.Picker;
type SubchannelInterface = grpc.experimental.SubchannelInterface;
type TypedLoadBalancingConfig = grpc.experimental.TypedLoadBalancingConfig;

/** Name of the health-checking wrapper policy in service configs. */
export const HEALTH_CHECK_POLICY = "ts_gateway_health";

/** Lets grpc-js pick_first report an unhealthy picked subchannel as TRANSIENT_FAILURE. */
const REPORT_HEALTH_OPTION = "grpc-node.internal.pick-first.report_health_status";

/** JSON shape of the `ts_gateway_health` config. */
export interface HealthCheckPolicyJson {
  /** Probe endpoints with grpc.health.v1.Health; default true. */
  enabled?: boolean;
  /** `HealthCheckRequest.service`; default `""`. */
  service_name?: string;
  /** Check poll interval / Watch retry delay; default 1000. */
  interval_ms?: number;
  /** Deadline of one Check; default 1000. */
  timeout_ms?: number;
  /** Ask the resolver to re-resolve this often (DNS re-resolution); 0 = never; default 30000. */
  reresolve_interval_ms?: number;
  /** The policy that balances among endpoints. */
  child_policy: object[];
}

function nonNegative(obj: Record<string, unknown>, key: string, fallback: number): number {
  const value = obj[key];
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
    throw new Error(`${HEALTH_CHECK_POLICY}: ${key} must be a non-negative number`);
  }
  return value;
}

class HealthCheckConfig implements WrappingConfig {
  constructor(
    readonly enabled: boolean,
    readonly serviceName: string,
    readonly intervalMs: number,
    readonly timeoutMs: number,
    readonly reresolveIntervalMs: number,
    readonly child: TypedLoadBalancingConfig,
  ) {}
  getLoadBalancerName(): string {
    return HEALTH_CHECK_POLICY;
  }
  toJsonObject(): object {
    return {
      [HEALTH_CHECK_POLICY]: {
        enabled: this.enabled,
        service_name: this.serviceName,
        interval_ms: this.intervalMs,
        timeout_ms: this.timeoutMs,
        reresolve_interval_ms: this.reresolveIntervalMs,
        child_policy: [this.child.toJsonObject()],
      },
    };
  }
  static createFromJson(obj: Record<string, unknown>): HealthCheckConfig {
    const child = parseChildPolicy(HEALTH_CHECK_POLICY, obj);
    if (obj.service_name !== undefined && typeof obj.service_name !== "string") {
      throw new Error(`${HEALTH_CHECK_POLICY}: service_name must be a string`);
    }
    return new HealthCheckConfig(
      obj.enabled !== false,
      obj.service_name ?? "",
      nonNegative(obj, "interval_ms", 1000),
      nonNegative(obj, "timeout_ms", 1000),
      nonNegative(obj, "reresolve_interval_ms", 30_000),
      child,
    );
  }
}

/**
 * Wraps a child policy (round_robin, pick_first, outlier_detection, …) and
 * probes every subchannel it creates with grpc.health.v1.Health; publishes the
 * balancer's readiness; optionally re-resolves periodically.
 * @internal
 */
class HealthCheckLoadBalancer extends WrappingLoadBalancer<HealthCheckConfig> {
  private state: grpc.connectivityState = grpc.connectivityState.IDLE;
  private endpoints: Endpoint[] = [];
  private readonly known = new Map<string, boolean>();
  /** The connection state last reported per address (see {@link connectivityChanged}). */
  private readonly lastState = new Map<string, ConnectivityStateName>();
  private readonly wrappers = new Map<string, HealthProbedSubchannel>();
  private note = "";
  private reresolveTimer: NodeJS.Timeout | null = null;
  private readonly snapshot = (): BalancerReadiness => this.readiness();

  constructor(helper: ChannelControlHelper) {
    super(helper, HealthCheckConfig);
  }

  protected wrapSubchannel(subchannel: SubchannelInterface, address: string): SubchannelInterface {
    const config = this.config;
    const wrapper = new HealthProbedSubchannel(
      subchannel,
      config === null || !config.enabled
        ? null
        : {
            serviceName: config.serviceName,
            intervalMs: config.intervalMs,
            timeoutMs: config.timeoutMs,
          },
      this.known.get(address) ?? true,
      (addr, healthy) => this.healthChanged(addr, healthy),
      (addr, state) => this.connectivityChanged(addr, state),
    );
    this.wrappers.set(address, wrapper);
    return wrapper;
  }

  private healthChanged(address: string, healthy: boolean): void {
    const was = this.known.get(address) ?? true;
    this.known.set(address, healthy);
    if (was !== healthy) this.endpointEvent(address, healthy ? "HEALTHY" : "UNHEALTHY");
  }

  /**
   * Reports an endpoint's connection state once per change. A lost endpoint's
   * reconnection attempts (CONNECTING, TRANSIENT_FAILURE, again and again) are
   * one failure: reported when it starts and when a connection is READY again.
   * Several subchannel wrappers of one address (a re-resolution replaces them)
   * report the same change once.
   */
  private connectivityChanged(address: string, state: grpc.connectivityState): void {
    const name = grpc.connectivityState[state] as ConnectivityStateName;
    const last = this.lastState.get(address);
    if (name === last) return;
    if (last === "TRANSIENT_FAILURE" && name === "CONNECTING") return;
    this.lastState.set(address, name);
    this.endpointEvent(address, name);
  }

  protected childStateChanged(
    state: grpc.connectivityState,
    picker: Picker,
    error: string | null,
  ): void {
    if (this.endpoints.length === 0) {
      this.failEmpty();
      return;
    }
    this.state = state;
    this.helper.updateState(state, new UnwrappingPicker(picker, HealthProbedSubchannel), error);
  }

  protected publish(source: ReadinessSource): void {
    source.publish(this.snapshot);
  }

  protected withdraw(source: ReadinessSource): void {
    source.withdraw(this.snapshot);
  }

  updateAddressList(
    endpoints: grpc.experimental.StatusOr<Endpoint[]>,
    config: TypedLoadBalancingConfig,
    options: grpc.ChannelOptions,
    note: string,
  ): boolean {
    if (!this.adopt(config, options)) return false;
    if (endpoints.ok) this.endpoints = endpoints.value;
    this.scheduleReresolution(config.reresolveIntervalMs);
    this.note = note;
    const childOptions = { ...options, [REPORT_HEALTH_OPTION]: true };
    const accepted = this.child.updateAddressList(endpoints, config.child, childOptions, note);
    if (endpoints.ok && endpoints.value.length === 0) this.failEmpty();
    return accepted;
  }

  /** No endpoints: fail fast (grpc-js round_robin would report IDLE and queue calls until their deadline). */
  private failEmpty(): void {
    this.state = grpc.connectivityState.TRANSIENT_FAILURE;
    const details = `no endpoints${this.note ? ` (${this.note})` : ""}`;
    this.helper.updateState(
      this.state,
      new UnavailablePicker({ code: grpc.status.UNAVAILABLE, details }),
      details,
    );
  }

  private scheduleReresolution(intervalMs: number): void {
    if (this.reresolveTimer !== null) clearInterval(this.reresolveTimer);
    this.reresolveTimer = null;
    if (intervalMs <= 0) return;
    this.reresolveTimer = setInterval(() => this.helper.requestReresolution(), intervalMs);
    this.reresolveTimer.unref();
  }

  private readiness(): BalancerReadiness {
    const endpoints: EndpointStatus[] = [];
    for (const endpoint of this.endpoints) {
      for (const address of endpoint.addresses) {
        const key = subchannelAddressToString(address);
        const wrapper = this.wrappers.get(key);
        const state = wrapper?.getConnectivityState() ?? grpc.connectivityState.IDLE;
        endpoints.push({
          address: key,
          state: grpc.connectivityState[state] as ConnectivityStateName,
          healthy: wrapper?.isProbedHealthy() ?? this.known.get(key) ?? true,
          ejected: false,
        });
      }
    }
    const state = grpc.connectivityState[this.state] as ConnectivityStateName;
    return { ready: this.state === grpc.connectivityState.READY, state, endpoints };
  }

  override destroy(): void {
    if (this.reresolveTimer !== null) clearInterval(this.reresolveTimer);
    super.destroy();
  }

  getTypeName(): string {
    return HEALTH_CHECK_POLICY;
  }
}

let registered = false;

/** Registers `ts_gateway_health` with grpc-js (idempotent). @internal */
export function registerHealthCheckPolicy(): void {
  if (registered) return;
  registered = true;
  registerLoadBalancerType(HEALTH_CHECK_POLICY, HealthCheckLoadBalancer, HealthCheckConfig);
}
