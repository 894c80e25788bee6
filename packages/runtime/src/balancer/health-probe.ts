import { create } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import { healthServiceDefinition } from "../grpc/health-definition.js";
import {
  HealthCheckRequestSchema,
  type HealthCheckResponse,
  HealthCheckResponse_ServingStatus,
} from "../proto/grpc/health/v1/health_pb.js";

const { BaseSubchannelWrapper } = grpc.experimental;
type SubchannelInterface = grpc.experimental.SubchannelInterface;

/** How a subchannel is probed. @internal */
export interface ProbeSettings {
  /** Service name sent in `HealthCheckRequest.service` (`""` = whole server). */
  readonly serviceName: string;
  /** Poll interval when falling back to Check, and retry delay after a failed Watch. */
  readonly intervalMs: number;
  /** Deadline of one Check call. */
  readonly timeoutMs: number;
}

/**
 * Wraps a subchannel and keeps its health in step with `grpc.health.v1.Health`:
 * a Watch stream while connected, falling back to periodic Check if Watch is
 * unimplemented; if Check is unimplemented too, probing stops and the endpoint
 * counts as healthy (as gRFC A17 does). Unhealthy wrappers make grpc-js leaf
 * balancers report TRANSIENT_FAILURE, which takes the endpoint out of rotation.
 * @internal
 */
export class HealthProbedSubchannel extends BaseSubchannelWrapper {
  private client: grpc.Client | null = null;
  private stream: grpc.ClientReadableStream<HealthCheckResponse> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private mode: "watch" | "check" | "off" = "watch";
  private destroyed = false;

  constructor(
    child: SubchannelInterface,
    private readonly settings: ProbeSettings,
    initialHealthy: boolean,
    private readonly onHealth: (address: string, healthy: boolean) => void,
  ) {
    super(child);
    this.setHealthy(initialHealthy);
    child.addConnectivityStateListener(this.onState);
  }

  /** The wrapped subchannel, for pickers that unwrap. */
  getWrappedSubchannel(): SubchannelInterface {
    return this.child;
  }

  /** Whether the last probe found the endpoint serving. */
  isProbedHealthy(): boolean {
    return this.isHealthy();
  }

  private readonly onState = (
    _sub: SubchannelInterface,
    _prev: grpc.connectivityState,
    next: grpc.connectivityState,
  ): void => {
    if (next === grpc.connectivityState.READY) this.start();
    else this.stop();
  };

  override ref(): void {
    super.ref();
    if (this.child.getConnectivityState() === grpc.connectivityState.READY) this.start();
  }

  private report(healthy: boolean): void {
    this.setHealthy(healthy);
    this.onHealth(this.getAddress(), healthy);
  }

  private start(): void {
    if (this.destroyed || this.mode === "off" || this.stream !== null || this.timer !== null)
      return;
    this.client ??= new grpc.Client("health-probe", grpc.credentials.createInsecure(), {
      channelOverride: this.child.getChannel(),
    });
    if (this.mode === "watch") this.watch();
    else this.check();
  }

  private stop(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    const stream = this.stream;
    this.stream = null;
    stream?.cancel();
  }

  private later(run: () => void): void {
    this.timer = setTimeout(() => {
      this.timer = null;
      if (!this.destroyed && this.child.getConnectivityState() === grpc.connectivityState.READY)
        run();
    }, this.settings.intervalMs);
    this.timer.unref();
  }

  private watch(): void {
    const client = this.client;
    if (client === null) return;
    const def = healthServiceDefinition.watch;
    const request = create(HealthCheckRequestSchema, { service: this.settings.serviceName });
    const stream = client.makeServerStreamRequest(
      def.path,
      def.requestSerialize,
      def.responseDeserialize,
      request,
    );
    this.stream = stream;
    stream.on("data", (response: HealthCheckResponse) => {
      this.report(response.status === HealthCheckResponse_ServingStatus.SERVING);
    });
    stream.on("error", (error: grpc.ServiceError) => {
      if (this.stream !== stream) return; // cancelled by us
      this.stream = null;
      if (error.code === grpc.status.UNIMPLEMENTED) {
        this.mode = "check";
        this.check();
        return;
      }
      this.report(false);
      this.later(() => this.watch());
    });
    stream.on("end", () => {
      if (this.stream !== stream) return;
      this.stream = null;
      this.later(() => this.watch());
    });
  }

  private check(): void {
    const client = this.client;
    if (client === null) return;
    const def = healthServiceDefinition.check;
    const request = create(HealthCheckRequestSchema, { service: this.settings.serviceName });
    const deadline = Date.now() + this.settings.timeoutMs;
    client.makeUnaryRequest(
      def.path,
      def.requestSerialize,
      def.responseDeserialize,
      request,
      new grpc.Metadata(),
      { deadline },
      (error, response) => {
        if (this.destroyed) return;
        if (error?.code === grpc.status.UNIMPLEMENTED) {
          this.mode = "off";
          this.report(true);
          return;
        }
        this.report(
          error === null && response?.status === HealthCheckResponse_ServingStatus.SERVING,
        );
        this.later(() => this.check());
      },
    );
  }

  protected override destroy(): void {
    this.destroyed = true;
    this.child.removeConnectivityStateListener(this.onState);
    this.stop();
    // The probe client shares the subchannel's channel: drop it, never close it.
    this.client = null;
    super.destroy();
  }
}
