import type { Server as HttpServer, IncomingMessage, ServerResponse } from "node:http";
import { Server as NetServer } from "node:net";
import type { Duplex } from "node:stream";
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
  /**
   * Muxes whose WebSockets to close with 1001 (going away) when the servers
   * stop accepting: anything with a `closeWebSockets()` method, like `Mux`.
   */
  muxes?: readonly { closeWebSockets(): void }[];
  /** Channels to close once in-flight work is done. */
  channels?: readonly grpc.Channel[];
  /**
   * Keep serving this long after readiness turns 503 and health NOT_SERVING,
   * before refusing connections, so load balancers notice; default 0.
   */
  drainDelayMs?: number;
  /** Longest wait for in-flight requests and streams before forcing; default 25 000 ms. */
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

/**
 * Default of `idleCloseMs`: above the 4 s upstream `keepalive_timeout` the
 * README's nginx config and deploy/ set, so the proxy always closes an idle
 * connection before the gateway does and never writes a request on one the
 * gateway is closing.
 */
const defaultIdleCloseMs = 5000;

interface Connection {
  /** Responses in progress on it. */
  busy: number;
  /** When its last response ended; 0 while it never had one (new, or upgraded). */
  idleSince: number;
}

/**
 * Follows an HTTP server's connections and responses from the start, so a
 * shutdown can drain them without resetting one a request may be on:
 * while draining every response says `Connection: close` (the connection
 * closes after it), a keep-alive connection closes only after `idleCloseMs`
 * without requests, and at the deadline whatever is left (upgraded sockets
 * too, which `closeAllConnections()` does not know) is destroyed.
 */
class ConnectionTracker {
  readonly #connections = new Map<Duplex, Connection>();
  readonly #responses = new Set<ServerResponse>();
  draining = false;

  constructor(
    readonly server: HttpServer,
    readonly idleCloseMs: number,
  ) {
    server.on("connection", (socket: Duplex) => {
      this.#connections.set(socket, { busy: 0, idleSince: 0 });
      socket.once("close", () => this.#connections.delete(socket));
    });
    server.on("request", (req: IncomingMessage, res: ServerResponse) => {
      const connection = this.#connections.get(req.socket);
      if (connection !== undefined) connection.busy++;
      this.#responses.add(res);
      if (this.draining && !res.headersSent) res.setHeader("Connection", "close");
      res.once("close", () => {
        this.#responses.delete(res);
        if (connection === undefined) return;
        connection.busy--;
        connection.idleSince = Date.now();
      });
    });
  }

  /**
   * Marks every response from now on, and those not yet answered, `Connection: close`.
   * A response whose headers already went out keeps its connection: ending it
   * after that response would race the next request the proxy may write on it
   * (it was told keep-alive); that request gets `Connection: close` instead,
   * or the connection closes once quiet for `idleCloseMs`.
   */
  drain(): void {
    this.draining = true;
    for (const res of this.#responses) {
      if (!res.headersSent) res.setHeader("Connection", "close");
    }
  }

  /** Closes keep-alive connections quiet for `idleCloseMs`. */
  closeQuiet(): void {
    const now = Date.now();
    for (const [socket, connection] of this.#connections) {
      if (
        connection.busy === 0 &&
        connection.idleSince > 0 &&
        now - connection.idleSince >= this.idleCloseMs
      )
        socket.end();
    }
  }

  destroyAll(): void {
    for (const socket of this.#connections.keys()) socket.destroy();
  }
}

function closeHttp(tracker: ConnectionTracker, deadline: number): Promise<void> {
  const server = tracker.server;
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    const sweep = setInterval(() => tracker.closeQuiet(), 250);
    const force = setTimeout(
      () => {
        tracker.destroyAll();
        server.closeAllConnections();
      },
      Math.max(0, deadline - Date.now()),
    );
    // net.Server's close: stop accepting, but unlike http.Server's do not reset idle
    // keep-alive connections at once (a proxy may be writing a request on one).
    NetServer.prototype.close.call(server, () => {
      clearInterval(sweep);
      clearTimeout(force);
      resolve();
    });
    tracker.closeQuiet();
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
  const trackers = (options.httpServers ?? []).map(
    (server) => new ConnectionTracker(server, options.idleCloseMs ?? defaultIdleCloseMs),
  );

  const run = async (reason: string): Promise<void> => {
    options.health?.shutdown();
    for (const tracker of trackers) tracker.drain();
    if ((options.drainDelayMs ?? 0) > 0) await sleep(options.drainDelayMs ?? 0);
    const deadline = Date.now() + (options.gracePeriodMs ?? 25_000);
    for (const mux of options.muxes ?? []) mux.closeWebSockets();
    await Promise.all([
      ...trackers.map((t) => closeHttp(t, deadline)),
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
