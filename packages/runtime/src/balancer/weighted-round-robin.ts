import * as grpc from "@grpc/grpc-js";
import { ENDPOINT_WEIGHTS_ATTRIBUTE } from "./balancer-readiness.js";
import { EndpointListBalancer, type ReadyEndpoint } from "./endpoint-list-balancer.js";

const { registerLoadBalancerType, subchannelAddressToString } = grpc.experimental;
type Picker = grpc.experimental.Picker;
type TypedLoadBalancingConfig = grpc.experimental.TypedLoadBalancingConfig;

/**
 * Name of the static weighted round robin policy in service configs. (grpc-js's
 * own `weighted_round_robin` takes weights from ORCA load reports, not config.)
 */
export const WEIGHTED_ROUND_ROBIN_POLICY = "ts_gateway_weighted_round_robin";

/** JSON shape of the `ts_gateway_weighted_round_robin` config. */
export interface WeightedRoundRobinPolicyJson {
  /** Weight per `host:port` as the resolver reports it. */
  weights?: Record<string, number>;
  /** Weight of endpoints not listed; default 1. */
  default_weight?: number;
}

function checkWeight(value: unknown, what: string): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
    throw new Error(`${WEIGHTED_ROUND_ROBIN_POLICY}: ${what} must be a non-negative number`);
  }
  return value;
}

class WeightedRoundRobinConfig implements TypedLoadBalancingConfig {
  constructor(
    readonly weights: ReadonlyMap<string, number>,
    readonly defaultWeight: number,
  ) {}
  getLoadBalancerName(): string {
    return WEIGHTED_ROUND_ROBIN_POLICY;
  }
  toJsonObject(): object {
    return {
      [WEIGHTED_ROUND_ROBIN_POLICY]: {
        weights: Object.fromEntries(this.weights),
        default_weight: this.defaultWeight,
      },
    };
  }
  static createFromJson(obj: Record<string, unknown>): WeightedRoundRobinConfig {
    const weights = new Map<string, number>();
    const raw = obj.weights ?? {};
    if (typeof raw !== "object" || raw === null)
      throw new Error(`${WEIGHTED_ROUND_ROBIN_POLICY}: weights must be an object`);
    for (const [address, weight] of Object.entries(raw))
      weights.set(address, checkWeight(weight, `weight of ${address}`));
    return new WeightedRoundRobinConfig(
      weights,
      checkWeight(obj.default_weight ?? 1, "default_weight"),
    );
  }
}

/**
 * Smooth weighted round robin (as in nginx): deterministic, interleaved, and
 * exact over every window of `sum(weights)` picks.
 * @internal
 */
export class WeightedRoundRobinPicker implements Picker {
  private readonly current: number[];
  private readonly total: number;

  constructor(
    private readonly ready: ReadyEndpoint[],
    private readonly weights: number[],
  ) {
    this.current = weights.map(() => 0);
    this.total = weights.reduce((a, b) => a + b, 0);
  }

  pick(args: grpc.experimental.PickArgs): grpc.experimental.PickResult {
    let best = 0;
    if (this.total > 0) {
      for (let i = 0; i < this.current.length; i++) {
        this.current[i] = (this.current[i] ?? 0) + (this.weights[i] ?? 0);
        if ((this.current[i] ?? 0) > (this.current[best] ?? 0)) best = i;
      }
      this.current[best] = (this.current[best] ?? 0) - this.total;
    } else {
      best = Math.floor(Math.random() * this.ready.length);
    }
    const chosen = this.ready[best] ?? this.ready[0];
    if (chosen === undefined)
      throw new Error("weighted_round_robin picker built without endpoints");
    return chosen.picker.pick(args);
  }
}

/** Round robin with static per-endpoint weights. @internal */
class WeightedRoundRobinLoadBalancer extends EndpointListBalancer<WeightedRoundRobinConfig> {
  protected isConfig(config: TypedLoadBalancingConfig): config is WeightedRoundRobinConfig {
    return config instanceof WeightedRoundRobinConfig;
  }
  private weightOf(ready: ReadyEndpoint): number {
    const config = this.config;
    const fromResolver = this.options[ENDPOINT_WEIGHTS_ATTRIBUTE] as
      | Record<string, number>
      | undefined;
    for (const address of ready.endpoint.addresses) {
      const key = subchannelAddressToString(address);
      const weight = fromResolver?.[key] ?? config?.weights.get(key);
      if (weight !== undefined) return weight;
    }
    return config?.defaultWeight ?? 1;
  }
  protected readyPicker(ready: ReadyEndpoint[]): Picker {
    return new WeightedRoundRobinPicker(
      ready,
      ready.map((r) => this.weightOf(r)),
    );
  }
  getTypeName(): string {
    return WEIGHTED_ROUND_ROBIN_POLICY;
  }
}

let registered = false;

/** Registers `ts_gateway_weighted_round_robin` with grpc-js (idempotent). @internal */
export function registerWeightedRoundRobinPolicy(): void {
  if (registered) return;
  registered = true;
  registerLoadBalancerType(
    WEIGHTED_ROUND_ROBIN_POLICY,
    WeightedRoundRobinLoadBalancer,
    WeightedRoundRobinConfig,
  );
}
