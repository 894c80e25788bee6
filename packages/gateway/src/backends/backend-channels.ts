import * as grpc from "@grpc/grpc-js";
import {
  type BalancerOptions,
  createChannel,
  idempotentMethods,
} from "@ts-gateway/runtime/balancer";
import type { BackendConfig } from "../config/config-schema.js";
import type { GatewayService } from "../services/gateway-service.js";
import { readPem } from "./pem.js";

/**
 * The balancer options of one configured backend. Retries are on by default
 * for the idempotent methods of the services routed to it (GET/PUT/DELETE
 * bindings, `idempotency_level`), plus any `retry.methods` listed.
 */
export async function balancerOptions(
  name: string,
  config: BackendConfig,
  services: readonly GatewayService[],
  path: (p: string) => string,
): Promise<BalancerOptions> {
  const options: BalancerOptions = { name };
  if (config.policy !== undefined) options.policy = config.policy;
  if (config.weights !== undefined) options.weights = config.weights;
  if (config.healthCheck !== undefined) options.healthCheck = config.healthCheck;
  if (config.outlierDetection !== undefined) options.outlierDetection = config.outlierDetection;
  // createChannel also lowers grpc-js's DNS minimum interval to match.
  if (config.reresolveIntervalMs !== undefined)
    options.reresolveIntervalMs = config.reresolveIntervalMs;
  // deadlineMs and streamDeadlineMs are set per call (services/call-deadlines.ts), not here.
  if (config.keepalive !== undefined) options.keepalive = config.keepalive;
  if (config.circuitBreaker !== undefined) options.circuitBreaker = config.circuitBreaker;
  if (config.retry !== false) {
    const retry = config.retry ?? {};
    const methods = [
      ...idempotentMethods(...services.map((s) => s.routes)),
      ...(retry.methods ?? []),
    ];
    if (methods.length > 0) {
      options.retry = {
        methods,
        ...(retry.maxAttempts === undefined ? {} : { maxAttempts: retry.maxAttempts }),
        ...(retry.initialBackoffMs === undefined
          ? {}
          : { initialBackoffMs: retry.initialBackoffMs }),
        ...(retry.maxBackoffMs === undefined ? {} : { maxBackoffMs: retry.maxBackoffMs }),
        ...(retry.retryableCodes === undefined
          ? {}
          : { retryableCodes: retry.retryableCodes.map((c) => grpc.status[c]) }),
      };
    }
  }
  if (config.tls !== undefined) {
    const { ca, cert, key, serverName } = config.tls;
    options.tls = {
      ...(ca === undefined ? {} : { ca: readPem(ca, path) }),
      ...(cert === undefined ? {} : { cert: readPem(cert, path) }),
      ...(key === undefined ? {} : { key: readPem(key, path) }),
      ...(serverName === undefined ? {} : { serverName }),
    };
  }
  if (config.etcd !== undefined) {
    const { Etcd3 } = await import("etcd3");
    options.etcd = new Etcd3({ hosts: config.etcd.hosts });
    if (config.etcd.prefix !== undefined) options.etcdPrefix = config.etcd.prefix;
  }
  return options;
}

/** A configured backend's balanced channel, and what closes it with everything it opened. */
export interface Backend {
  readonly channel: grpc.Channel;
  /** Closes the channel and its etcd client (its connections and watchers), if any. */
  close(): void;
}

/**
 * A balanced channel for a configured backend; its endpoints' state changes
 * (connected, lost, failing, unhealthy, ejected, back) go to `log`.
 */
export async function openBackend(
  name: string,
  config: BackendConfig,
  services: readonly GatewayService[],
  path: (p: string) => string,
  log: (message: string) => void,
): Promise<Backend> {
  const options = await balancerOptions(name, config, services, path);
  options.onEndpointEvent = (e) => log(`backend ${e.backend}: endpoint ${e.address} ${e.event}`);
  const channel = createChannel(config.target, options);
  return {
    channel,
    close: () => {
      channel.close();
      options.etcd?.close();
    },
  };
}
