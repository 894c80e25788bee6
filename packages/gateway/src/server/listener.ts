import { statSync } from "node:fs";
import * as http from "node:http";
import * as http2 from "node:http2";
import * as https from "node:https";
import type { AddressInfo, Server as NetServer, Socket } from "node:net";
import * as net from "node:net";
import { type Duplex, Duplex as DuplexStream } from "node:stream";
import type { SecureContextOptions } from "node:tls";
import {
  ConnectionDrain,
  type DrainCloseOptions,
  drainDefaults,
  gatewayServer,
} from "@ts-gateway/runtime";
import { readPem } from "../backends/pem.js";
import type { ListenerConfig } from "../config/config-schema.js";

/** What a listener hands requests and upgrades to. */
export interface ListenerHandlers {
  request(req: http.IncomingMessage, res: http.ServerResponse): void;
  upgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): void;
}

/** One listening socket of the gateway, whatever its protocol. */
export interface Listener {
  readonly config: ListenerConfig;
  /** `http1`, `h2c` or `h2` (with TLS) / `https` (TLS, HTTP/1.1 only). */
  readonly protocol: string;
  listen(): Promise<AddressInfo>;
  /** Re-reads the certificate files now (SIGHUP); true if they changed and were applied. */
  reloadCertificates(): boolean;
  /**
   * Starts draining: HTTP/1.1 answers say `Connection: close`, HTTP/2
   * sessions get a GOAWAY; requests are still served.
   */
  drain(): void;
  /**
   * Stops accepting, lets in-flight requests finish, closes keep-alive
   * connections once quiet, and destroys whatever is still open at `deadline`
   * (ms since the epoch). `onClosing` runs once it stopped accepting.
   */
  close(deadline: number, options?: DrainCloseOptions): Promise<void>;
}

/** Errors on a connection (resets, TLS failures) are the client's; they never reach the process. */
const ignore = (): void => {};

/**
 * Creates the server for one configured listener: `node:http` for HTTP/1.1,
 * `node:https` or `node:http2` with `allowHTTP1` for TLS (ALPN picks h2 or
 * http/1.1), and for `h2c` a plain TCP server that reads the first bytes of a
 * connection and hands it to HTTP/2 (the `PRI *` preface) or HTTP/1.1.
 */
export function createListener(
  config: ListenerConfig,
  handlers: ListenerHandlers,
  options: {
    path: (p: string) => string;
    keepAliveTimeoutMs: number;
    /** While draining, a keep-alive connection quiet this long closes (default {@link drainDefaults}). */
    idleCloseMs?: number | undefined;
    /** `server` bounds: headers and whole-request timeouts, connections per listener. */
    headersTimeoutMs?: number | undefined;
    requestTimeoutMs?: number | undefined;
    bodyIdleTimeoutMs?: number | undefined;
    maxConnections?: number | undefined;
    onCertificateReload: (message: string) => void;
  },
): Listener {
  const protocol = config.protocol ?? (config.tls === undefined ? "http1" : "h2");
  // One drain for every protocol: the runtime's, as gracefulShutdown uses.
  const drain = new ConnectionDrain(options.idleCloseMs ?? drainDefaults.idleCloseMs);
  let outer: NetServer;
  let tlsServer: { setSecureContext(options: SecureContextOptions): void } | undefined;

  const track = (server: NetServer, event: "connection" | "secureConnection") => {
    drain.watchConnections(server, event);
  };
  const setupHttp = (server: http.Server) => {
    drain.watchRequests(server);
    // The runtime's bounds and its google.rpc.Status answers to Node's parser
    // and timeout errors (400, 408, 413, 431) and to a stalled body (408).
    gatewayServer(server, {
      keepAliveTimeoutMs: options.keepAliveTimeoutMs,
      headersTimeoutMs:
        options.headersTimeoutMs ?? Math.min(60_000, options.keepAliveTimeoutMs + 1000),
      requestTimeoutMs: options.requestTimeoutMs,
      bodyIdleTimeoutMs: options.bodyIdleTimeoutMs,
      // The listener applies `maxConnections` to the server that accepts connections.
      maxConnections: Number.POSITIVE_INFINITY,
    });
    server.on("request", handlers.request);
    server.on("upgrade", handlers.upgrade);
  };

  let certState = "";
  const tlsOptions = (): SecureContextOptions & {
    requestCert: boolean;
    rejectUnauthorized: boolean;
  } => {
    const tls = config.tls!;
    certState = certFingerprint(config, options.path);
    return {
      cert: readPem(tls.cert, options.path),
      key: readPem(tls.key, options.path),
      ...(tls.ca === undefined ? {} : { ca: readPem(tls.ca, options.path) }),
      requestCert: tls.ca !== undefined,
      rejectUnauthorized: tls.requireClientCert ?? false,
    };
  };

  if (protocol === "h2" || (protocol !== "h2c" && config.tls !== undefined)) {
    if (config.tls === undefined)
      throw new Error(`protocol h2 needs tls (use h2c for cleartext HTTP/2)`);
    if (protocol === "h2") {
      const server = http2.createSecureServer({ ...tlsOptions(), allowHTTP1: true });
      drain.watchRequests(server);
      drain.watchSessions(server);
      server.on("request", handlers.request as never);
      // HTTP/1.1 over TLS on the same port (ALPN http/1.1): Node serves it with an http.Server inside.
      server.on("upgrade", handlers.upgrade);
      server.on("sessionError", ignore);
      server.on("tlsClientError", ignore);
      outer = server;
      tlsServer = server;
      track(server, "secureConnection");
    } else {
      const server = https.createServer({ ...tlsOptions() });
      setupHttp(server);
      server.on("tlsClientError", ignore);
      outer = server;
      tlsServer = server;
      track(server, "secureConnection");
    }
  } else if (protocol === "h2c") {
    const h1 = http.createServer();
    setupHttp(h1);
    const h2 = http2.createServer();
    drain.watchSessions(h2);
    h2.on("request", handlers.request as never);
    h2.on("sessionError", ignore);
    outer = net.createServer((socket) => sniff(socket, h1, h2));
    track(outer, "connection");
  } else {
    const server = http.createServer();
    setupHttp(server);
    outer = server;
    track(server, "connection");
  }
  outer.on("error", ignore);
  if (options.maxConnections !== undefined) outer.maxConnections = options.maxConnections;

  const reloadCertificates = (): boolean => {
    if (tlsServer === undefined) return false;
    const now = certFingerprint(config, options.path);
    if (now === certState) return false;
    try {
      tlsServer.setSecureContext(tlsOptions());
      options.onCertificateReload(`certificates of listener :${config.port} reloaded`);
      return true;
    } catch (err) {
      // A half-written or mismatched pair: keep serving the old one, retry on the next check.
      options.onCertificateReload(
        `certificates of listener :${config.port} not reloaded: ${(err as Error).message}`,
      );
      return false;
    }
  };
  const interval = config.tls?.reloadIntervalMs ?? 5000;
  const timer =
    tlsServer !== undefined && interval > 0
      ? setInterval(reloadCertificates, interval).unref()
      : undefined;

  return {
    config,
    protocol: protocol === "http1" && config.tls !== undefined ? "https" : protocol,
    listen: () =>
      new Promise((resolve, reject) => {
        const onError = (err: Error) => reject(err);
        outer.once("error", onError);
        outer.listen(config.port, config.host ?? "0.0.0.0", () => {
          outer.off("error", onError);
          resolve(outer.address() as AddressInfo);
        });
      }),
    reloadCertificates,
    drain: () => drain.drain(),
    close: (deadline, closeOptions) => {
      if (timer !== undefined) clearInterval(timer);
      return drain.close(outer, deadline, closeOptions);
    },
  };
}

/** h2c: the connection preface `PRI * HTTP/2.0` picks HTTP/2, anything else is HTTP/1.1. */
function sniff(socket: Socket, h1: http.Server, h2: http2.Http2Server): void {
  let head = Buffer.alloc(0);
  const onData = (chunk: Buffer) => {
    head = Buffer.concat([head, chunk]);
    if (head.length < 3 && "PRI".startsWith(head.toString("latin1"))) return;
    socket.off("data", onData);
    socket.pause();
    if (head.subarray(0, 3).toString("latin1") === "PRI") {
      // node:http2 reads from the socket's native handle, so bytes already read
      // would be lost: hand it a stream that replays them, then the socket's.
      h2.emit("connection", replaying(socket, head));
    } else {
      socket.unshift(head);
      h1.emit("connection", socket);
      socket.resume();
    }
  };
  socket.on("data", onData);
}

/** A duplex over `socket` whose readable side starts with `head`. */
function replaying(socket: Socket, head: Buffer): Duplex {
  const stream = new DuplexStream({
    read: () => {
      socket.resume();
    },
    write: (chunk, encoding, callback) => {
      socket.write(chunk, encoding, callback);
    },
    final: (callback) => {
      socket.end();
      callback();
    },
    destroy: (err, callback) => {
      socket.destroy();
      callback(err);
    },
  });
  stream.on("error", ignore);
  stream.push(head);
  socket.on("data", (chunk: Buffer) => {
    if (!stream.push(chunk)) socket.pause();
  });
  socket.on("end", () => stream.push(null));
  socket.on("close", () => stream.destroy());
  return stream;
}

/** Size and modification time of the certificate files: a change triggers a reload. */
function certFingerprint(config: ListenerConfig, path: (p: string) => string): string {
  const tls = config.tls;
  if (tls === undefined) return "";
  return [tls.cert, tls.key, tls.ca]
    .map((source) => {
      if (source === undefined || source.trimStart().startsWith("-----BEGIN")) return source ?? "";
      try {
        const s = statSync(path(source));
        return `${s.size}:${s.mtimeMs}`;
      } catch {
        return "missing";
      }
    })
    .join("|");
}
