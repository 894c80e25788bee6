import * as grpc from "@grpc/grpc-js";
import {
  type EndpointEvent,
  READINESS_SOURCE_OPTION,
  ReadinessSource,
} from "./balancer-readiness.js";

const {
  ChildLoadBalancerHandler,
  createChildChannelControlHelper,
  parseLoadBalancingConfig,
  PickResultType,
  subchannelAddressToString,
} = grpc.experimental;
type ChannelControlHelper = grpc.experimental.ChannelControlHelper;
type Endpoint = grpc.experimental.Endpoint;
type Picker = grpc.experimental.Picker;
type PickResult = grpc.experimental.PickResult;
type SubchannelInterface = grpc.experimental.SubchannelInterface;
type TypedLoadBalancingConfig = grpc.experimental.TypedLoadBalancingConfig;

/** A subchannel wrapper: picks must hand grpc-js the subchannel it wraps. */
export interface SubchannelWrapper extends SubchannelInterface {
  getWrappedSubchannel(): SubchannelInterface;
}

/** The config of a wrapping policy: its own settings and its child policy's. */
export interface WrappingConfig extends TypedLoadBalancingConfig {
  readonly child: TypedLoadBalancingConfig;
}

/** The first entry of a wrapping policy's `child_policy`, parsed; throws naming `policy`. */
export function parseChildPolicy(
  policy: string,
  obj: Record<string, unknown>,
): TypedLoadBalancingConfig {
  const children = obj.child_policy;
  if (!Array.isArray(children) || children.length === 0) {
    throw new Error(`${policy}: child_policy must be a non-empty array`);
  }
  return parseLoadBalancingConfig(children[0]);
}

/**
 * The child's picker with this policy's wrappers unwrapped from complete
 * picks, as grpc-js expects of a wrapping policy. {@link picked} may add to
 * the result (e.g. watch the call's end).
 */
export class UnwrappingPicker<W extends SubchannelWrapper> implements Picker {
  constructor(
    private readonly inner: Picker,
    private readonly wrapper: abstract new (...args: never[]) => W,
  ) {}

  pick(args: grpc.experimental.PickArgs): PickResult {
    const result = this.inner.pick(args);
    if (
      result.pickResultType !== PickResultType.COMPLETE ||
      !(result.subchannel instanceof this.wrapper)
    ) {
      return result;
    }
    return this.picked(result, result.subchannel);
  }

  /** The pick of one of this policy's subchannels, unwrapped. */
  protected picked(result: PickResult, wrapper: W): PickResult {
    return { ...result, subchannel: wrapper.getWrappedSubchannel() };
  }
}

/**
 * The part of a load-balancing policy that wraps a child policy (round_robin,
 * pick_first, …) which the health-check and circuit-breaker policies share:
 * the child handler, the subchannels it creates passed through
 * {@link wrapSubchannel}, its state changes through {@link childStateChanged},
 * the config check, the channel's {@link ReadinessSource} (taken from the
 * channel options, handed to {@link publish} and {@link withdraw}), and the
 * calls grpc-js forwards to the child.
 * @internal
 */
export abstract class WrappingLoadBalancer<C extends WrappingConfig>
  implements grpc.experimental.LoadBalancer
{
  protected readonly child: InstanceType<typeof ChildLoadBalancerHandler>;
  /** The latest config; null before the first address list. */
  protected config: C | null = null;
  #source: ReadinessSource | null = null;

  constructor(
    protected readonly helper: ChannelControlHelper,
    private readonly configClass: abstract new (...args: never[]) => C,
  ) {
    this.child = new ChildLoadBalancerHandler(
      createChildChannelControlHelper(helper, {
        createSubchannel: (address, args) =>
          this.wrapSubchannel(
            helper.createSubchannel(address, args),
            subchannelAddressToString(address),
          ),
        updateState: (state, picker, error) => this.childStateChanged(state, picker, error),
      }),
    );
  }

  /** What a subchannel the child created becomes (itself, or a wrapper). */
  protected abstract wrapSubchannel(
    subchannel: SubchannelInterface,
    address: string,
  ): SubchannelInterface;

  /** The child's new state and picker, to pass on to the channel through `helper.updateState`. */
  protected abstract childStateChanged(
    state: grpc.connectivityState,
    picker: Picker,
    error: string | null,
  ): void;

  /** Hands the channel's readiness source what this policy publishes. */
  protected abstract publish(source: ReadinessSource): void;

  /** Takes back from a readiness source what {@link publish} gave it. */
  protected abstract withdraw(source: ReadinessSource): void;

  abstract getTypeName(): string;

  abstract updateAddressList(
    endpoints: grpc.experimental.StatusOr<Endpoint[]>,
    config: TypedLoadBalancingConfig,
    options: grpc.ChannelOptions,
    note: string,
  ): boolean;

  /**
   * Takes a new config, and the readiness source of `options` if it changed;
   * false (nothing taken) when `config` is not this policy's.
   */
  protected adopt(config: TypedLoadBalancingConfig, options: grpc.ChannelOptions): config is C {
    if (!(config instanceof this.configClass)) return false;
    this.config = config;
    const source = options[READINESS_SOURCE_OPTION];
    if (ReadinessSource.is(source) && source !== this.#source) {
      if (this.#source !== null) this.withdraw(this.#source);
      this.#source = source;
      this.publish(source);
    }
    return true;
  }

  /** Reports a change of one endpoint to the channel's listener, if any. */
  protected endpointEvent(address: string, event: EndpointEvent["event"]): void {
    this.#source?.endpointEvent(address, event);
  }

  exitIdle(): void {
    this.child.exitIdle();
  }

  resetBackoff(): void {
    this.child.resetBackoff();
  }

  destroy(): void {
    if (this.#source !== null) this.withdraw(this.#source);
    this.child.destroy();
  }
}
