import * as grpc from "@grpc/grpc-js";

const {
  createChildChannelControlHelper,
  LeafLoadBalancer,
  QueuePicker,
  UnavailablePicker,
  endpointToString,
} = grpc.experimental;
type ChannelControlHelper = grpc.experimental.ChannelControlHelper;
type Endpoint = grpc.experimental.Endpoint;
type Picker = grpc.experimental.Picker;
type TypedLoadBalancingConfig = grpc.experimental.TypedLoadBalancingConfig;
type Leaf = InstanceType<typeof LeafLoadBalancer>;

/** A connected endpoint and the picker of its leaf balancer. @internal */
export interface ReadyEndpoint {
  readonly endpoint: Endpoint;
  /** `endpointToString(endpoint)`, stable across updates. */
  readonly key: string;
  readonly picker: Picker;
}

/**
 * Shared shape of policies that keep one grpc-js leaf (pick_first) balancer per
 * endpoint and pick among the READY ones, like grpc-js's own round_robin. A
 * subclass decides only how to pick among ready endpoints.
 * @internal
 */
export abstract class EndpointListBalancer<C extends TypedLoadBalancingConfig>
  implements grpc.experimental.LoadBalancer
{
  private leaves: Leaf[] = [];
  private paused = false;
  private lastError: string | null = null;
  private state: grpc.connectivityState = grpc.connectivityState.IDLE;
  private readonly leafHelper: ChannelControlHelper;
  /** The latest config and channel options (incl. resolver attributes). */
  protected config: C | null = null;
  protected options: grpc.ChannelOptions = {};

  constructor(private readonly helper: ChannelControlHelper) {
    this.leafHelper = createChildChannelControlHelper(helper, {
      updateState: (state, _picker, error) => {
        if (this.state === grpc.connectivityState.READY && state !== grpc.connectivityState.READY) {
          helper.requestReresolution();
        }
        if (error) this.lastError = error;
        this.recompute();
      },
    });
  }

  /** Type guard for this policy's config class. */
  protected abstract isConfig(config: TypedLoadBalancingConfig): config is C;
  /** Builds a picker over the READY endpoints (never empty). */
  protected abstract readyPicker(ready: ReadyEndpoint[]): Picker;
  abstract getTypeName(): string;

  updateAddressList(
    endpoints: grpc.experimental.StatusOr<Endpoint[]>,
    config: TypedLoadBalancingConfig,
    options: grpc.ChannelOptions,
    note: string,
  ): boolean {
    if (!this.isConfig(config)) return false;
    this.config = config;
    this.options = options;
    if (!endpoints.ok) {
      if (this.leaves.length === 0)
        this.publish(grpc.connectivityState.TRANSIENT_FAILURE, endpoints.error.details);
      return true;
    }
    const old = this.leaves;
    this.paused = true;
    this.leaves = endpoints.value.map(
      (endpoint) => new LeafLoadBalancer(endpoint, this.leafHelper, options, note),
    );
    for (const leaf of this.leaves) leaf.startConnecting();
    for (const leaf of old) leaf.destroy();
    this.paused = false;
    if (this.leaves.length === 0) {
      this.publish(grpc.connectivityState.TRANSIENT_FAILURE, `No addresses resolved. ${note}`);
      return true;
    }
    this.recompute();
    return true;
  }

  private publish(state: grpc.connectivityState, error: string | null, picker?: Picker): void {
    this.state = state;
    const fallback =
      state === grpc.connectivityState.TRANSIENT_FAILURE
        ? new UnavailablePicker({ details: error ?? "no healthy endpoint" })
        : new QueuePicker(this);
    this.helper.updateState(state, picker ?? fallback, error);
  }

  /** Recomputes the aggregate state and picker; subclasses may call it when their inputs change. */
  protected recompute(): void {
    if (this.paused) return;
    const ready: ReadyEndpoint[] = [];
    let connecting = false;
    let failing = false;
    for (const leaf of this.leaves) {
      const state = leaf.getConnectivityState();
      if (state === grpc.connectivityState.READY) {
        const endpoint = leaf.getEndpoint();
        ready.push({ endpoint, key: endpointToString(endpoint), picker: leaf.getPicker() });
      } else if (state === grpc.connectivityState.CONNECTING) connecting = true;
      else if (state === grpc.connectivityState.TRANSIENT_FAILURE) failing = true;
    }
    if (ready.length > 0) this.publish(grpc.connectivityState.READY, null, this.readyPicker(ready));
    else if (connecting) this.publish(grpc.connectivityState.CONNECTING, null);
    else if (failing) {
      const message = `${this.getTypeName()}: no healthy endpoint. Last error: ${this.lastError}`;
      this.publish(grpc.connectivityState.TRANSIENT_FAILURE, message);
    } else this.publish(grpc.connectivityState.IDLE, null);
    for (const leaf of this.leaves) {
      if (leaf.getConnectivityState() === grpc.connectivityState.IDLE) leaf.exitIdle();
    }
  }

  exitIdle(): void {
    for (const leaf of this.leaves) leaf.exitIdle();
  }
  resetBackoff(): void {}
  destroy(): void {
    for (const leaf of this.leaves) leaf.destroy();
    this.leaves = [];
  }
}
