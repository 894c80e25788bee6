import type { Server as HttpServer } from "node:http";
import type * as grpc from "@grpc/grpc-js";
import type { HealthService } from "../health/health-service.js";

/** Options for {@link gracefulShutdown}. */
export interface GracefulShutdownOptions {
  /** HTTP servers (the gateway): stop accepting, let in-flight requests finish. */
  httpServers?: readonly HttpServer[];
  /** gRPC servers (Node backends): `tryShutdown`, forced after the grace period. */
  grpcServers?: readonly grpc.Server[];
  /** Health service to flip to NOT_SERVING first, so balancers eject this backend. */
  health?: HealthService;
  /** Channels to close once in-flight work is done. */
  channels?: readonly grpc.Channel[];
  /**
   * Keep serving this long after readiness turns 503 and health NOT_SERVING,
   * before refusing connections, so load balancers notice; default 0.
   */
  drainDelayMs?: number;
  /** Longest wait for in-flight requests and streams before forcing; default 25 000 ms. */
  gracePeriodMs?: number;
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

function closeHttp(server: HttpServer, deadline: number): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    let done = false;
    // Keep-alive connections go idle only after their in-flight request; close them as they do.
    const sweep = setInterval(() => server.closeIdleConnections(), 50);
    const force = setTimeout(
      () => server.closeAllConnections(),
      Math.max(0, deadline - Date.now()),
    );
    server.close(() => {
      done = true;
      clearInterval(sweep);
      clearTimeout(force);
      resolve();
    });
    if (!done) server.closeIdleConnections();
  });
}

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

  const run = async (reason: string): Promise<void> => {
    options.health?.shutdown();
    if ((options.drainDelayMs ?? 0) > 0) await sleep(options.drainDelayMs ?? 0);
    const deadline = Date.now() + (options.gracePeriodMs ?? 25_000);
    await Promise.all([
      ...(options.httpServers ?? []).map((s) => closeHttp(s, deadline)),
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
