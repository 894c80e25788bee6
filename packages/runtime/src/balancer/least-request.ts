import * as grpc from "@grpc/grpc-js";
import { EndpointListBalancer, type ReadyEndpoint } from "./endpoint-list-balancer.js";

const { PickResultType, registerLoadBalancerType } = grpc.experimental;
type Picker = grpc.experimental.Picker;
type TypedLoadBalancingConfig = grpc.experimental.TypedLoadBalancingConfig;

/** Name of the least-request policy in service configs. */
export const LEAST_REQUEST_POLICY = "ts_gateway_least_request";

/** JSON shape of the `ts_gateway_least_request` config. */
export interface LeastRequestPolicyJson {
  /** How many random endpoints to compare per pick; default 2 ("power of two choices"). */
  choice_count?: number;
}

class LeastRequestConfig implements TypedLoadBalancingConfig {
  constructor(readonly choiceCount: number) {}
  getLoadBalancerName(): string {
    return LEAST_REQUEST_POLICY;
  }
  toJsonObject(): object {
    return { [LEAST_REQUEST_POLICY]: { choice_count: this.choiceCount } };
  }
  static createFromJson(obj: Record<string, unknown>): LeastRequestConfig {
    const count = obj.choice_count ?? 2;
    if (typeof count !== "number" || !Number.isInteger(count) || count < 2) {
      throw new Error(`${LEAST_REQUEST_POLICY}: choice_count must be an integer >= 2`);
    }
    return new LeastRequestConfig(count);
  }
}

/** Picks the endpoint with fewest in-flight calls among `choiceCount` random ones. @internal */
export class LeastRequestPicker implements Picker {
  constructor(
    private readonly ready: ReadyEndpoint[],
    private readonly inFlight: Map<string, number>,
    private readonly choiceCount: number,
    private readonly random: () => number = Math.random,
  ) {}

  pick(args: grpc.experimental.PickArgs): grpc.experimental.PickResult {
    let best: ReadyEndpoint | undefined;
    let bestLoad = Number.POSITIVE_INFINITY;
    for (let i = 0; i < this.choiceCount; i++) {
      const candidate = this.ready[Math.floor(this.random() * this.ready.length)];
      if (candidate === undefined) continue;
      const load = this.inFlight.get(candidate.key) ?? 0;
      if (load < bestLoad) {
        best = candidate;
        bestLoad = load;
      }
    }
    if (best === undefined) throw new Error("least_request picker built without endpoints");
    const result = best.picker.pick(args);
    if (result.pickResultType !== PickResultType.COMPLETE) return result;
    const key = best.key;
    const counts = this.inFlight;
    let started = false;
    return {
      ...result,
      onCallStarted: () => {
        started = true;
        counts.set(key, (counts.get(key) ?? 0) + 1);
        result.onCallStarted?.();
      },
      onCallEnded: (code, details, metadata) => {
        if (started) counts.set(key, Math.max(0, (counts.get(key) ?? 1) - 1));
        started = false;
        result.onCallEnded?.(code, details, metadata);
      },
    };
  }
}

/** Least-request balancing with power-of-two (or N) random choices over in-flight calls. @internal */
class LeastRequestLoadBalancer extends EndpointListBalancer<LeastRequestConfig> {
  private readonly inFlight = new Map<string, number>();
  protected isConfig(config: TypedLoadBalancingConfig): config is LeastRequestConfig {
    return config instanceof LeastRequestConfig;
  }
  protected readyPicker(ready: ReadyEndpoint[]): Picker {
    return new LeastRequestPicker(ready, this.inFlight, this.config?.choiceCount ?? 2);
  }
  getTypeName(): string {
    return LEAST_REQUEST_POLICY;
  }
}

let registered = false;

/** Registers `ts_gateway_least_request` with grpc-js (idempotent). @internal */
export function registerLeastRequestPolicy(): void {
  if (registered) return;
  registered = true;
  registerLoadBalancerType(LEAST_REQUEST_POLICY, LeastRequestLoadBalancer, LeastRequestConfig);
}
