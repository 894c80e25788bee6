import { readFileSync } from "node:fs";
import type * as grpc from "@grpc/grpc-js";
import { Mux, type MuxOptions } from "@ts-gateway/runtime";
import { mountHealth } from "@ts-gateway/runtime/health";
import { type Backend, openBackend } from "../backends/backend-channels.js";
import type { GatewayConfig } from "../config/config-schema.js";
import type { LoadedConfig } from "../config/load-config.js";
import type { Observability } from "../observability/observability.js";
import { type EdgePolicies, edgePolicies } from "../policies/edge-policies.js";
import { loadServices, type RoutedService } from "../services/load-services.js";
import type { RouteRow } from "../services/route-rows.js";
import type { Log } from "../shared/defaults.js";

/** Routes, backends and muxes built from one config; replaced as a whole on reload. */
export interface Generation {
  readonly mux: Mux;
  readonly adminMux: Mux | undefined;
  readonly rows: readonly RouteRow[];
  readonly channels: ReadonlyMap<string, grpc.Channel>;
  /** Closes the backends (channels, etcd clients) and what the edge policies hold (a Redis client). */
  readonly close: () => void;
}

/** Builds the routes, backends, policies and muxes of one config. */
export async function buildGeneration(
  loaded: LoadedConfig,
  isDraining: () => boolean,
  observe: (config: GatewayConfig, channels: readonly grpc.Channel[]) => Promise<Observability>,
  log: Log,
): Promise<Generation> {
  const config = loaded.config;
  const { services, rows } = await loadServices(loaded, log);
  const channels = new Map<string, grpc.Channel>();
  const opened: Backend[] = [];
  const byBackend = new Map<string, RoutedService[]>();
  for (const s of services) byBackend.set(s.backend, [...(byBackend.get(s.backend) ?? []), s]);
  let policies: EdgePolicies | undefined;
  const close = (): void => {
    for (const backend of opened) backend.close();
    policies?.close();
  };
  // A config that fails half-way (a missing file, a bad option) leaves nothing open.
  try {
    for (const [name, routed] of byBackend) {
      const backend = config.backends[name]!;
      const open = await openBackend(
        name,
        backend,
        routed.map((r) => r.service),
        loaded.path,
      );
      opened.push(open);
      channels.set(name, open.channel);
    }
    const observability = await observe(config, [...channels.values()]);
    policies = await edgePolicies(config, loaded.path, log);
    const mux = new Mux(muxOptions(config));
    for (const middleware of [...observability.middlewares, ...policies.middlewares]) {
      mux.use(middleware);
    }
    for (const { service, backend, site } of services) {
      service.register(mux, channels.get(backend)!, site);
    }
    const adminMux =
      config.admin?.listener === undefined ? undefined : new Mux({ notFound: "404" });
    const backends = Object.fromEntries(channels);
    const only = channels.size === 1 ? [...channels.values()][0] : undefined;
    mountHealth(adminMux ?? mux, {
      ...(only === undefined ? {} : { channel: only }),
      backends,
      isDraining,
      ...(config.admin?.paths === undefined ? {} : { paths: config.admin.paths }),
    });
    if (observability.metrics !== undefined) {
      (adminMux ?? mux).handlePath(
        "GET",
        observability.metrics.path,
        observability.metrics.handler,
      );
    }
    const docs = config.docs;
    if (docs !== undefined && docs.enabled !== false) {
      // The page tries calls on the API: it is served there, not on the admin port.
      const { mountDocs } = await import("@ts-gateway/runtime/docs");
      mountDocs(mux, {
        spec: readFileSync(loaded.path(docs.spec), "utf8"),
        ...(docs.path === undefined ? {} : { path: docs.path }),
        ...(docs.specPath === undefined ? {} : { specPath: docs.specPath }),
        ...(docs.title === undefined ? {} : { title: docs.title }),
      });
    }
    return { mux, adminMux, rows, channels, close };
  } catch (err) {
    close();
    throw err;
  }
}

function muxOptions(config: GatewayConfig): MuxOptions {
  const options: MuxOptions = { notFound: "404", ...config.mux, ...config.limits };
  if (config.server.webSocket === true) options.webSocket = true;
  return options;
}
