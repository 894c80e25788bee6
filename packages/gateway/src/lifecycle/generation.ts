import { readFileSync } from "node:fs";
import type * as grpc from "@grpc/grpc-js";
import { Mux, type MuxOptions } from "@ts-gateway/runtime";
import { type Backend, openBackend } from "../backends/backend-channels.js";
import type { GatewayConfig } from "../config/config-schema.js";
import type { LoadedConfig } from "../config/load-config.js";
import type { DocsConfig } from "../config/policy-schema.js";
import type { Observability } from "../observability/observability.js";
import { type EdgePolicies, edgePolicies } from "../policies/edge-policies.js";
import { mountGatewayHealth } from "../server/backend-healthz.js";
import { compactDescriptors } from "../services/compact-descriptors.js";
import { loadServices, type RoutedService } from "../services/load-services.js";
import { documentTitle } from "../services/openapi-document.js";
import { openApiForSites } from "../services/openapi-sites.js";
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
        log,
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
    for (const { service, backend, options } of services) {
      const { deadlineMs, streamDeadlineMs } = config.backends[backend]!;
      service.register(mux, channels.get(backend)!, options, {
        unaryMs: deadlineMs,
        streamMs: streamDeadlineMs,
      });
    }
    const adminMux =
      config.admin?.listener === undefined ? undefined : new Mux({ notFound: "404" });
    mountGatewayHealth(adminMux ?? mux, {
      backends: new Map(
        [...channels].map(([name, channel]) => [
          name,
          { channel, health: config.backends[name]?.health ?? "grpc" },
        ]),
      ),
      isDraining,
      ...(config.admin?.paths === undefined ? {} : { paths: config.admin.paths }),
    });
    if (observability.metrics !== undefined) {
      (adminMux ?? mux).handlePath(
        "GET",
        observability.metrics.path,
        observability.metrics.handler,
        { operational: true },
      );
    }
    const docs = docsOptions(config);
    if (docs !== undefined) {
      // The page tries calls on the API: it is served there, not on the admin port.
      const { mountDocs } = await import("@ts-gateway/runtime/docs");
      mountDocs(mux, {
        spec: openApiSpec(loaded, services, docs, log),
        ...(docs.path === undefined ? {} : { path: docs.path }),
        ...(docs.specPath === undefined ? {} : { specPath: docs.specPath }),
      });
    }
    // The routes and the document are made: what serving reads of the
    // descriptor sets' custom options is protovalidate's rules, if anything.
    compactDescriptors(
      services.flatMap((s) =>
        s.service.routeInfos === undefined ? [] : [s.service.routes.service],
      ),
      { dropCustomOptions: !config.mux?.validate },
    );
    return { mux, adminMux, rows, channels, close };
  } catch (err) {
    close();
    throw err;
  }
}

/** The `docs` section as an object (`true` is `{}`), or undefined when off. */
function docsOptions(config: GatewayConfig): DocsConfig | undefined {
  const docs = config.docs;
  if (docs === undefined || docs === false) return undefined;
  if (docs === true) return {};
  return docs.enabled === false ? undefined : docs;
}

/**
 * The document the docs page shows: `docs.spec`, or the one generated from the
 * descriptor sets. `docs.title` replaces its `info.title`, which Swagger UI
 * shows as the page's heading, so the heading and the tab say the same.
 */
function openApiSpec(
  loaded: LoadedConfig,
  services: readonly RoutedService[],
  docs: DocsConfig,
  log: Log,
): object | string {
  const config = loaded.config;
  const named = (document: object): object => {
    if (docs.title === undefined) return document;
    const info = (document as { info?: object }).info;
    return { ...document, info: { ...info, title: docs.title } };
  };
  if (docs.spec !== undefined) {
    // mountDocs parses the text and names what is wrong with it.
    const text = readFileSync(loaded.path(docs.spec), "utf8");
    if (docs.title === undefined) return text;
    try {
      return named(JSON.parse(text) as object);
    } catch {
      return text;
    }
  }
  const routed = services.map((s) => s.service);
  return named(
    openApiForSites(
      services,
      documentTitle(routed, docs.title),
      config.mux ?? {},
      listenerScheme(config),
      log,
    ),
  );
}

/** `https` when a listener serves TLS: the scheme of the document's host servers. */
export function listenerScheme(config: GatewayConfig): "http" | "https" {
  return config.server.listeners.some((l) => l.tls !== undefined) ? "https" : "http";
}

function muxOptions(config: GatewayConfig): MuxOptions {
  const options: MuxOptions = { notFound: "404", ...config.mux, ...config.limits };
  if (config.server.webSocket === true) options.webSocket = true;
  return options;
}
