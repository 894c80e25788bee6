import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import type * as grpc from "@grpc/grpc-js";
import { drainDefaults, type Mux } from "@ts-gateway/runtime";
import { unresolvedBackends } from "../backends/resolve-targets.js";
import { restartOnlyChanges } from "../config/config-notes.js";
import type { GatewayConfig } from "../config/config-schema.js";
import type { LoadedConfig } from "../config/load-config.js";
import { createObservability, type Observability } from "../observability/observability.js";
import { createListener, type Listener } from "../server/listener.js";
import type { RouteRow } from "../services/route-rows.js";
import type { Log } from "../shared/defaults.js";
import { collectGarbage } from "./collect-garbage.js";
import { buildGeneration, type Generation } from "./generation.js";

/** A running gateway process (one worker, or the only process). */
export interface RunningGateway {
  /** Bound addresses: the API listeners, then the admin listener if any. */
  readonly addresses: readonly { protocol: string; address: AddressInfo; admin: boolean }[];
  readonly routes: readonly RouteRow[];
  readonly draining: boolean;
  /**
   * Applies a new config (SIGHUP): routes and backends are rebuilt and swapped
   * in for new requests while in-flight ones finish on the old; certificates
   * are re-read. Listener, admin-listener and worker changes need a restart.
   */
  reload(loaded: LoadedConfig): Promise<void>;
  /** SIGTERM: readiness 503, drain, stop accepting, finish in-flight work, close backends. */
  shutdown(reason: string): Promise<void>;
}

/** Starts the gateway a config describes, in this process. */
export async function startGateway(
  loaded: LoadedConfig,
  options: { log: Log; workerId: string },
): Promise<RunningGateway> {
  const { log } = options;
  let draining = false;
  let loadedConfig = loaded;
  // Metrics, logs and traces outlive generations: built with the first one's backends.
  let observability: Observability | undefined;
  const observe = async (config: GatewayConfig, channels: readonly grpc.Channel[]) => {
    observability ??= await createObservability(config, options.workerId);
    observability.setBackends(channels);
    return observability;
  };
  const build = (l: LoadedConfig) => buildGeneration(l, () => draining, observe, log);
  let current = await build(loaded);
  collectGarbage();

  const config = loaded.config;
  const workerHeader = config.server.workerHeader === true ? options.workerId : undefined;
  const request = (req: IncomingMessage, res: ServerResponse, admin: boolean): void => {
    if (workerHeader !== undefined) res.setHeader("X-Gateway-Worker", workerHeader);
    // While draining, the listener's drain marks HTTP/1.1 answers `Connection: close`.
    const mux = admin ? (current.adminMux ?? current.mux) : current.mux;
    mux.handle(req, res);
  };
  const upgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    socket.on("error", () => {});
    if (draining || !current.mux.handleUpgrade(req, socket, head)) socket.destroy();
  };
  const listenerOptions = {
    path: loaded.path,
    keepAliveTimeoutMs: config.server.keepAliveTimeoutMs ?? 65_000,
    headersTimeoutMs: config.server.headersTimeoutMs,
    requestTimeoutMs: config.server.requestTimeoutMs,
    bodyIdleTimeoutMs: config.server.bodyIdleTimeoutMs,
    maxConnections: config.server.maxConnections,
    minRequestBodyDataRate: config.server.minRequestBodyDataRate,
    minResponseDataRate: config.server.minResponseDataRate,
    onCertificateReload: log,
  };
  const listeners: { listener: Listener; admin: boolean }[] = config.server.listeners.map((l) => ({
    listener: createListener(
      l,
      { request: (req, res) => request(req, res, false), upgrade, mux: () => current.mux },
      listenerOptions,
    ),
    admin: false,
  }));
  if (config.admin?.listener !== undefined) {
    listeners.push({
      listener: createListener(
        config.admin.listener,
        {
          request: (req, res) => request(req, res, true),
          upgrade: (_r, s) => s.destroy(),
          mux: () => current.adminMux ?? current.mux,
        },
        listenerOptions,
      ),
      admin: true,
    });
  }
  const addresses: { protocol: string; address: AddressInfo; admin: boolean }[] = [];
  for (const { listener, admin } of listeners) {
    addresses.push({ protocol: listener.protocol, address: await listener.listen(), admin });
  }

  let stopping: Promise<void> | undefined;
  /** Muxes of generations a reload replaced, whose streams may still be open. */
  const retired = new Set<Mux>();
  return {
    addresses,
    get routes() {
      return current.rows;
    },
    get draining() {
      return draining;
    },
    async reload(next) {
      // A new backend whose name does not resolve would answer every call with 503: keep the old.
      const unresolved = await unresolvedBackends(next.config, loadedConfig.config);
      if (unresolved.length > 0) {
        throw new Error(`${unresolved.join("\n")}\nkeeping the running config`);
      }
      // Against the config the process started with: what a restart would apply.
      const changed = restartOnlyChanges(loaded.config, next.config);
      if (changed.length > 0) {
        log(`${changed.join(", ")} changed: restart to apply; reloading the rest`);
      }
      // A holder the timer empties: a generation its closure or its stack
      // still held would survive the collection that follows its retirement.
      let old: Generation | undefined = current;
      current = await build(next);
      loadedConfig = next;
      collectGarbage();
      for (const { listener } of listeners) listener.reloadCertificates();
      // Calls in flight on the old backends finish there; close them once they had time to.
      const grace = next.config.shutdown?.gracePeriodMs ?? drainDefaults.gracePeriodMs;
      retired.add(old.mux);
      setTimeout(() => {
        if (old === undefined) return;
        retired.delete(old.mux);
        old.close();
        old = undefined;
        // The old routes and descriptors are garbage now (what a stream
        // still open on them holds stays): without a collection an idle
        // gateway would hold both generations. From a task of its own, whose
        // stack holds nothing of this one's.
        setImmediate(collectGarbage);
      }, grace).unref();
      log(
        `reloaded: ${current.rows.length} routes, backends ${[...current.channels.keys()].join(", ")}`,
      );
    },
    shutdown(reason) {
      stopping ??= (async () => {
        draining = true;
        // HTTP/1.1 connections close after their response from now on, so a
        // proxy stops reusing them before the listener closes.
        for (const { listener } of listeners) listener.drain();
        const shutdown = loadedConfig.config.shutdown ?? {};
        log(`${reason}: draining (readyz 503)`);
        await sleep(shutdown.drainDelayMs ?? drainDefaults.drainDelayMs);
        const deadline = Date.now() + (shutdown.gracePeriodMs ?? drainDefaults.gracePeriodMs);
        // Streams have no end to wait for: once the listeners stop accepting,
        // each gets its last frame (an UNAVAILABLE "server shutting down" line
        // or event, a WebSocket close 1001), so a client can tell the shutdown
        // from the stream's end and reconnect; unary calls get the grace period.
        const endStreams = (): void => {
          let ended = 0;
          for (const mux of [current.mux, ...retired]) {
            ended += mux.endStreams("server shutting down");
          }
          if (ended > 0) log(`${reason}: ended ${ended} open streams`);
        };
        // API listeners first; the admin listener keeps answering probes (503) until they are done.
        await Promise.all(
          listeners
            .filter((l) => !l.admin)
            .map((l, i) => l.listener.close(deadline, i === 0 ? { onClosing: endStreams } : {})),
        );
        await Promise.all(
          listeners.filter((l) => l.admin).map((l) => l.listener.close(Date.now())),
        );
        current.close();
        log(`${reason}: stopped`);
      })();
      return stopping;
    },
  };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
