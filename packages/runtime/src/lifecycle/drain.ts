import type { EventEmitter } from "node:events";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Http2Session } from "node:http2";
import { Server as NetServer } from "node:net";
import type { Duplex } from "node:stream";

/**
 * The shutdown defaults of the runtime's `gracefulShutdown` and of the
 * `ts-gateway` process alike (its `shutdown` section):
 *
 * - `drainDelayMs`: keep serving this long after readiness turns 503, so load
 *   balancers notice before connections are refused.
 * - `gracePeriodMs`: then the longest wait for in-flight requests and streams.
 * - `idleCloseMs`: while draining, a keep-alive connection quiet this long is
 *   closed; above the 4 s upstream `keepalive_timeout` of deploy/'s proxies, so
 *   a proxy always closes an idle connection first and never writes a request
 *   on one the gateway is closing.
 *
 * drainDelayMs + gracePeriodMs (25 s) stays below Kubernetes' default
 * terminationGracePeriodSeconds (30).
 */
export const drainDefaults = {
  drainDelayMs: 5000,
  gracePeriodMs: 20_000,
  idleCloseMs: 5000,
} as const;

/** Errors on a connection (resets, TLS failures) are the client's; they never reach the process. */
const ignore = (): void => {};

interface Connection {
  /** Responses in progress on it. */
  busy: number;
  /** When its last response ended; 0 while it never had one (new, or upgraded). */
  idleSince: number;
}

/** What {@link ConnectionDrain.close} does besides closing connections. */
export interface DrainCloseOptions {
  /**
   * Called once the server stops accepting, before the wait for in-flight
   * work: ends what would otherwise hold a connection until the deadline
   * (WebSockets with 1001 going away, open streams with a final error).
   */
  readonly onClosing?: () => void;
}

/**
 * Drains one listening server without resetting a connection a request may be
 * on. It follows the server's connections, HTTP/1.1 responses and HTTP/2
 * sessions from the start; once {@link drain} is called every HTTP/1.1
 * response says `Connection: close` and HTTP/2 sessions get a GOAWAY;
 * {@link close} stops accepting, closes keep-alive connections quiet for
 * `idleCloseMs`, and at the deadline destroys whatever is left (upgraded
 * sockets too). The runtime's `gracefulShutdown` and the gateway's listeners
 * both drain through it.
 */
export class ConnectionDrain {
  readonly #connections = new Map<Duplex, Connection>();
  readonly #responses = new Set<ServerResponse>();
  readonly #sessions = new Set<Http2Session>();
  #draining = false;

  constructor(readonly idleCloseMs: number = drainDefaults.idleCloseMs) {}

  /** True once {@link drain} was called. */
  get draining(): boolean {
    return this.#draining;
  }

  /** Follows the sockets a server accepts (`connection`, or `secureConnection` for TLS). */
  watchConnections(server: EventEmitter, event = "connection"): void {
    server.on(event, (socket: Duplex) => {
      socket.on("error", ignore);
      this.#connections.set(socket, { busy: 0, idleSince: 0 });
      socket.once("close", () => this.#connections.delete(socket));
    });
  }

  /** Follows a server's HTTP/1.1 requests (HTTP/2 streams are the sessions' business). */
  watchRequests(server: EventEmitter): void {
    server.on("request", (req: IncomingMessage, res: ServerResponse) => {
      if (req.httpVersionMajor !== 1) return;
      const connection = this.#connections.get(req.socket);
      if (connection !== undefined) connection.busy++;
      this.#responses.add(res);
      if (this.#draining && !res.headersSent) res.setHeader("Connection", "close");
      res.once("close", () => {
        this.#responses.delete(res);
        if (connection === undefined) return;
        connection.busy--;
        connection.idleSince = Date.now();
      });
    });
  }

  /** Follows a server's HTTP/2 sessions (the `session` event). */
  watchSessions(server: EventEmitter): void {
    server.on("session", (session: Http2Session) => {
      session.on("error", ignore);
      this.#sessions.add(session);
      session.once("close", () => this.#sessions.delete(session));
      if (this.#draining) session.close();
    });
  }

  /**
   * Starts draining: every HTTP/1.1 response from now on, and those not yet
   * answered, says `Connection: close`; HTTP/2 sessions get a GOAWAY (their
   * open streams finish). A response whose headers already went out keeps its
   * connection: ending it after that response would race the next request the
   * proxy may write on it (it was told keep-alive); that request gets
   * `Connection: close` instead, or the connection closes once quiet.
   */
  drain(): void {
    this.#draining = true;
    for (const res of this.#responses) {
      if (!res.headersSent) res.setHeader("Connection", "close");
    }
    for (const session of this.#sessions) if (!session.closed) session.close();
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

  /** Destroys every connection and session now. */
  destroyAll(): void {
    for (const session of this.#sessions) session.destroy();
    for (const socket of this.#connections.keys()) socket.destroy();
  }

  /**
   * Drains (if not yet), stops `server` accepting, and resolves once its last
   * connection closed, or at `deadline` (ms since the epoch) after destroying
   * what is left. net.Server's close is used: unlike http.Server's it does not
   * reset idle keep-alive connections at once (a proxy may be writing a
   * request on one).
   */
  close(server: NetServer, deadline: number, options: DrainCloseOptions = {}): Promise<void> {
    this.drain();
    return new Promise((resolve) => {
      let finished = false;
      const finish = (): void => {
        if (finished) return;
        finished = true;
        clearInterval(sweep);
        clearTimeout(force);
        resolve();
      };
      const sweep = setInterval(() => this.closeQuiet(), 250);
      const force = setTimeout(
        () => {
          this.destroyAll();
          if (!server.listening) finish();
        },
        Math.max(0, deadline - Date.now()),
      );
      if (server.listening) NetServer.prototype.close.call(server, finish);
      else if (this.#connections.size === 0) finish();
      options.onClosing?.();
      this.closeQuiet();
    });
  }
}
