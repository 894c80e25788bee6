import type { Server as HttpServer } from "node:http";
import type * as grpc from "@grpc/grpc-js";
import type { HealthService } from "../health/health-service.js";
import { ConnectionDrain, drainDefaults } from "./drain.js";

/** Options for {@link gracefulShutdown}. */
export interface GracefulShutdownOptions {
  /** HTTP servers (the gateway): stop accepting, let in-flight requests finish. */
  httpServers?: readonly HttpServer[];
  /** gRPC servers (Node backends): `tryShutdown`, forced after the grace period. */
  grpcServers?: readonly grpc.Server[];
  /** Health service to flip to NOT_SERVING first, so balancers eject this backend. */
  health?: HealthService;
  /**
   * Muxes whose WebSockets to close with 1001 (going away) when the servers
   * stop accepting: anything with a `closeWebSockets()` method, like `Mux`.
   */
  muxes?: readonly { closeWebSockets(): void }[];
  /** Channels to close once in-flight work is done. */
  channels?: readonly grpc.Channel[];
  /**
   * Keep serving this long after readiness turns 503 and health NOT_SERVING,
   * before refusing connections, so load balancers notice; default 5000
   * ({@link drainDefaults}, as the gateway's `shutdown.drainDelayMs`).
   */
  drainDelayMs?: number;
  /** Longest wait for in-flight requests and streams before forcing; default 20 000 ms. */
  gracePeriodMs?: number;
  /**
   * While draining, a keep-alive connection quiet this long is closed (one
   * that carries a request closes after its response). Keep it above your
   * proxy's upstream keepalive timeout, so the proxy closes idle connections
   * first and never sends a request on one being closed. Default 5000.
   */
  idleCloseMs?: number;
  /** Signals that start the shutdown; default SIGTERM and SIGINT. `[]` installs none. */
  signals?: readonly NodeJS.Signals[];
  /** Runs last, e.g. to revoke an etcd registration or `process.exit()`. */
  onShutdown?: (reason: string) => void | Promise<void>;
}

/** Handle returned by {@link gracefulShutdown}. */
export interface GracefulShutdown {
  /** True from the moment shutdown begins; wire it to the readiness endpoint. */
  readonly draining: boolean;
  /** Starts the shutdown (idempotent) and resolves when everything is closed. */
  shutdown(reason?: string): Promise<void>;
  /** Removes the signal listeners. */
  dispose(): void;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function closeGrpc(server: grpc.Server, deadline: number): Promise<void> {
  return new Promise((resolve) => {
    const force = setTimeout(() => server.forceShutdown(), Math.max(0, deadline - Date.now()));
    server.tryShutdown(() => {
      clearTimeout(force);
      resolve();
    });
  });
}

/**
 * Graceful shutdown for gateways and Node backends. On a signal (or
 * `shutdown()`): readiness turns 503 and health NOT_SERVING; after
 * `drainDelayMs` the servers stop accepting connections; in-flight requests and
 * streams get up to `gracePeriodMs` to finish; then channels close.
 */
export function gracefulShutdown(options: GracefulShutdownOptions = {}): GracefulShutdown {
  let running: Promise<void> | null = null;
  const signals = options.signals ?? ["SIGTERM", "SIGINT"];
  const servers = (options.httpServers ?? []).map((server) => {
    const drain = new ConnectionDrain(options.idleCloseMs ?? drainDefaults.idleCloseMs);
    drain.watchConnections(server);
    drain.watchRequests(server);
    return { server, drain };
  });

  const run = async (reason: string): Promise<void> => {
    options.health?.shutdown();
    for (const { drain } of servers) drain.drain();
    const drainDelayMs = options.drainDelayMs ?? drainDefaults.drainDelayMs;
    if (drainDelayMs > 0) await sleep(drainDelayMs);
    const deadline = Date.now() + (options.gracePeriodMs ?? drainDefaults.gracePeriodMs);
    const onClosing = (): void => {
      for (const mux of options.muxes ?? []) mux.closeWebSockets();
    };
    if (servers.length === 0) onClosing();
    await Promise.all([
      ...servers.map(({ server, drain }, i) =>
        drain.close(server, deadline, i === 0 ? { onClosing } : {}),
      ),
      ...(options.grpcServers ?? []).map((s) => closeGrpc(s, deadline)),
    ]);
    for (const channel of options.channels ?? []) channel.close();
    await options.onShutdown?.(reason);
  };

  const handle: GracefulShutdown = {
    get draining() {
      return running !== null;
    },
    shutdown(reason = "shutdown") {
      running ??= run(reason);
      return running;
    },
    dispose() {
      for (const signal of signals) process.off(signal, onSignal);
    },
  };
  const onSignal = (signal: NodeJS.Signals): void => {
    void handle.shutdown(signal);
  };
  for (const signal of signals) process.on(signal, onSignal);
  return handle;
}
