import * as grpc from "@grpc/grpc-js";
import { gatewayChannelDefaults } from "../grpc/grpc-channel-defaults.js";
import type { InterceptedChannel } from "../grpc/grpc-client.js";
import {
  type BalancerReadiness,
  READINESS_SOURCE_OPTION,
  ReadinessSource,
} from "./balancer-readiness.js";
import { registerCircuitBreakerPolicy } from "./circuit-breaker-policy.js";
import type { EtcdClient } from "./etcd-endpoint.js";
import { registerHealthCheckPolicy } from "./health-check-policy.js";
import { registerLeastRequestPolicy } from "./least-request.js";
import { ETCD_CLIENT_OPTION, ETCD_PREFIX_OPTION, registerEtcdResolver } from "./resolver-etcd.js";
import { registerStaticResolver, staticTarget } from "./resolver-static.js";
import { buildServiceConfig, type ServiceConfigOptions } from "./service-config.js";
import { registerWeightedRoundRobinPolicy } from "./weighted-round-robin.js";

/** One endpoint of a static list: `"host:port"` or `{ host, port }`. */
export type BackendEndpoint = string | { readonly host: string; readonly port: number };

/** TLS to backends; with `cert` and `key`, mutual TLS. */
export interface BackendTlsOptions {
  /** Trusted roots (PEM); default: Node's root store. */
  ca?: Buffer;
  /** Client certificate chain (PEM) for mutual TLS. */
  cert?: Buffer;
  /** Client private key (PEM) for mutual TLS. */
  key?: Buffer;
  /** Name to verify in the server certificate, when it differs from the target host. */
  serverName?: string;
}

/**
 * HTTP/2 keepalive pings to backends.
 *
 * The defaults stay within what a grpc-go server accepts by default (its
 * `keepalive.EnforcementPolicy`: no ping less than 5 minutes after the last,
 * none without a call in flight). A server that sees more answers with a
 * GOAWAY "too_many_pings" and closes the connection, calls and streams on it
 * included. Lower `timeMs` only for backends whose enforcement allows it.
 */
export interface KeepaliveOptions {
  /** Ping after this much inactivity; default 300 000 ms (grpc-go's default `MinTime`). */
  timeMs?: number;
  /** Drop the connection if a ping is not answered in time; default 10 000 ms. */
  timeoutMs?: number;
  /** Ping even with no call in flight; default false (grpc-go's default `PermitWithoutStream`). */
  permitWithoutCalls?: boolean;
}

/** Options for {@link createChannel}. */
export interface BalancerOptions extends ServiceConfigOptions {
  /** Backend name, for errors and readiness; default: the target. */
  name?: string;
  /** TLS to backends; plaintext if absent (and `credentials` absent). */
  tls?: BackendTlsOptions;
  /** Explicit channel credentials; overrides `tls`. */
  credentials?: grpc.ChannelCredentials;
  keepalive?: KeepaliveOptions;
  /** Reconnect backoff to a lost endpoint; default 1000 ms initial, 10 000 ms max (grpc-js: 120 s max). */
  reconnectBackoff?: { initialMs?: number; maxMs?: number };
  /** etcd client for `etcd:///<service>` targets. */
  etcd?: EtcdClient;
  /** etcd key prefix; default `/services/`. */
  etcdPrefix?: string;
  /** Extra grpc-js channel options (win over computed ones). */
  channelOptions?: grpc.ChannelOptions;
}

/**
 * The grpc-js channel {@link createChannel} returns: it carries its own
 * state (name, readiness, client interceptors) rather than a module-level
 * table keyed by channel, and it is an {@link InterceptedChannel}, so a
 * generated client's `fromChannel(channel)` applies its interceptors. The
 * circuit breaker is per endpoint, inside the channel's balancing policy.
 */
export class BalancedChannel extends grpc.Channel implements InterceptedChannel {
  /** Backend name, for errors and readiness. */
  readonly name: string;
  /**
   * Client interceptors a generated client's `fromChannel(channel)` applies.
   * Empty: the circuit breaker is per endpoint, inside the balancing policy.
   */
  readonly clientInterceptors: readonly grpc.Interceptor[];
  readonly #readiness: ReadinessSource;

  /** @internal Use {@link createChannel}. */
  constructor(
    target: string,
    credentials: grpc.ChannelCredentials,
    options: grpc.ChannelOptions,
    state: {
      name: string;
      clientInterceptors: readonly grpc.Interceptor[];
    },
  ) {
    const source = new ReadinessSource();
    super(target, credentials, { ...options, [READINESS_SOURCE_OPTION]: source });
    this.#readiness = source;
    this.name = state.name;
    this.clientInterceptors = state.clientInterceptors;
  }

  /** Ready when at least one endpoint is connected and healthy, with each endpoint's state. */
  readiness(): BalancerReadiness {
    return this.#readiness.read() ?? connectivityReadiness(this);
  }
}

/** Registers this package's resolvers and balancing policies with grpc-js (idempotent). */
export function registerBalancers(): void {
  registerHealthCheckPolicy();
  registerCircuitBreakerPolicy();
  registerLeastRequestPolicy();
  registerWeightedRoundRobinPolicy();
  registerStaticResolver();
  registerEtcdResolver();
}

function endpointString(endpoint: BackendEndpoint): string {
  if (typeof endpoint === "string") return endpoint;
  return endpoint.host.includes(":")
    ? `[${endpoint.host}]:${endpoint.port}`
    : `${endpoint.host}:${endpoint.port}`;
}

function credentialsFor(options: BalancerOptions): grpc.ChannelCredentials {
  if (options.credentials !== undefined) return options.credentials;
  const tls = options.tls;
  if (tls === undefined) return grpc.credentials.createInsecure();
  return grpc.credentials.createSsl(tls.ca ?? null, tls.key ?? null, tls.cert ?? null);
}

/**
 * Creates a grpc-js channel that balances over a backend's endpoints with
 * grpc-js's own resolver and LB machinery: `target` is a static list, or a
 * `dns:///host:port`, `etcd:///service`, `ipv4:…` target. Health probing,
 * outlier detection, retries and the default deadline come from a generated
 * service config. Give it to a generated client with
 * `FooServiceClient.fromChannel(channel)` (or {@link channelOptionsFor}).
 */
export function createChannel(
  target: string | readonly BackendEndpoint[],
  options: BalancerOptions = {},
): BalancedChannel {
  registerBalancers();
  const uri = typeof target === "string" ? target : staticTarget(target.map(endpointString));
  const channel = new BalancedChannel(
    uri,
    credentialsFor(options),
    balancedChannelOptions(options),
    {
      name: options.name ?? uri,
      clientInterceptors: [],
    },
  );
  channel.getConnectivityState(true); // connect eagerly so readiness is meaningful before the first call
  return channel;
}

/**
 * The grpc-js options {@link createChannel} gives its channel: the generated
 * service config, keepalive, reconnect backoff, and DNS re-resolution as often
 * as `reresolveIntervalMs` asks (grpc-js's DNS resolver ignores requests
 * closer than `grpc.dns_min_time_between_resolutions_ms`, 30 s by default,
 * which would cap a shorter interval). `options.channelOptions` win.
 * @internal
 */
export function balancedChannelOptions(options: BalancerOptions): grpc.ChannelOptions {
  registerBalancers();
  const keepalive = options.keepalive ?? {};
  const serviceConfig = buildServiceConfig(options);
  // Fail at construction on a bad config; grpc-js would silently fall back to pick_first.
  for (const lb of serviceConfig.loadBalancingConfig)
    grpc.experimental.parseLoadBalancingConfig(lb);
  const reresolve = options.reresolveIntervalMs;
  return {
    ...gatewayChannelDefaults,
    "grpc.service_config": JSON.stringify(serviceConfig),
    "grpc.enable_retries": 1,
    "grpc.keepalive_time_ms": keepalive.timeMs ?? 300_000,
    "grpc.keepalive_timeout_ms": keepalive.timeoutMs ?? 10_000,
    "grpc.keepalive_permit_without_calls": keepalive.permitWithoutCalls === true ? 1 : 0,
    "grpc.initial_reconnect_backoff_ms": options.reconnectBackoff?.initialMs ?? 1000,
    "grpc.max_reconnect_backoff_ms": options.reconnectBackoff?.maxMs ?? 10_000,
    // Stay connected so readiness and health probing keep working between bursts.
    "grpc.client_idle_timeout_ms": 2 ** 31 - 1,
    ...(options.tls?.serverName === undefined
      ? {}
      : { "grpc.ssl_target_name_override": options.tls.serverName }),
    ...(options.etcd === undefined ? {} : { [ETCD_CLIENT_OPTION]: options.etcd }),
    ...(options.etcdPrefix === undefined ? {} : { [ETCD_PREFIX_OPTION]: options.etcdPrefix }),
    ...(reresolve === undefined || reresolve <= 0
      ? {}
      : { "grpc.dns_min_time_between_resolutions_ms": Math.min(30_000, reresolve) }),
    ...options.channelOptions,
  };
}

/**
 * grpc-js client options that make a (generated) client use `channel`:
 * `new FooServiceClient(address, credentials, channelOptionsFor(channel))`;
 * address and credentials are then ignored. The channel's circuit breaker is
 * part of its balancing policy, so it applies to every client on it.
 */
export function channelOptionsFor(
  channel: grpc.Channel,
  extra: grpc.ClientOptions = {},
): grpc.ClientOptions {
  return { ...extra, channelOverride: channel };
}

/** The name given to a channel made by {@link createChannel}; any other channel's target. */
export function backendName(channel: grpc.Channel): string {
  return channel instanceof BalancedChannel ? channel.name : channel.getTarget();
}

/**
 * Readiness of a channel: ready when at least one endpoint is connected and
 * healthy. Endpoint detail is available for channels made by {@link createChannel}.
 */
export function readiness(channel: grpc.Channel): BalancerReadiness {
  return channel instanceof BalancedChannel ? channel.readiness() : connectivityReadiness(channel);
}

/** Readiness from the channel's connectivity state alone, without endpoint detail. */
function connectivityReadiness(channel: grpc.Channel): BalancerReadiness {
  const connectivity = channel.getConnectivityState(true);
  const name = grpc.connectivityState[connectivity] as BalancerReadiness["state"];
  return { ready: connectivity === grpc.connectivityState.READY, state: name, endpoints: [] };
}
