import type { Site } from "@ts-gateway/runtime";
import type { GatewayService } from "./gateway-service.js";
import { type OpenApiJsonOptions, openApiFromServices } from "./openapi-document.js";

type Json = Record<string, unknown>;

const HTTP_METHODS = new Set(["get", "put", "post", "delete", "options", "head", "patch", "trace"]);

/** What {@link openApiForSites} describes: each service with the host names and path prefix it is served at. */
export interface SiteService {
  readonly service: GatewayService;
  readonly site: Site;
}

/**
 * The OpenAPI document of services served at several sites (`hosts`,
 * `pathPrefix` in `gateway.yaml`). The services of each site get the
 * plugin's document, then the documents are put together:
 * - a path prefix is written in front of its site's paths (the gateway
 *   strips it before matching, so clients send it);
 * - a site that names hosts gives each of its operations `servers`, one per
 *   host (`{scheme}://aiplatform.example.com`, `*.example.com` as a
 *   `{subdomain}` variable), so a client calls it at the right host;
 * - schemas, tags and security schemes are merged by name;
 * - a service served at two sites has its operation ids suffixed by the
 *   later site (`AgentRegistry_GetAgent_agentregistry`), as ids are unique.
 * One document cannot hold two operations of one path and method: when two
 * sites serve one (aiplatform's and agentregistry's `GetEndpoint` on their
 * own hosts), the first is kept and `warn` names the one left out.
 * Without hosts and prefixes it is the plugin's document unchanged.
 */
export function openApiForSites(
  entries: readonly SiteService[],
  title: string,
  json: OpenApiJsonOptions,
  scheme: "http" | "https",
  warn: (message: string) => void,
): Json {
  const groups = new Map<string, { site: Site; services: GatewayService[] }>();
  for (const { service, site } of entries) {
    if (service.routeInfos === undefined) continue;
    const key = JSON.stringify([site.hosts ?? [], site.pathPrefix ?? ""]);
    const group = groups.get(key) ?? { site, services: [] };
    group.services.push(service);
    groups.set(key, group);
  }
  const plain = [...groups.values()].every(
    ({ site }) => (site.hosts ?? []).length === 0 && (site.pathPrefix ?? "") === "",
  );
  if (plain)
    return openApiFromServices(
      entries.map((e) => e.service),
      title,
      json,
    );
  let merged: Json | undefined;
  const paths: Record<string, Json> = {};
  /** `/v1/{}:x` → the path written first with that shape: OpenAPI 3.1 takes both as one. */
  const shapes = new Map<string, string>();
  const operationIds = new Set<string>();
  for (const { site, services } of groups.values()) {
    const document = openApiFromServices(services, title, json);
    merged = merged === undefined ? { ...document } : mergeDocuments(merged, document);
    const servers = hostServers(site.hosts ?? [], scheme);
    const where = describeSite(site);
    for (const [path, item] of Object.entries((document.paths ?? {}) as Record<string, Json>)) {
      const written = (site.pathPrefix ?? "") + path;
      const shape = written.replace(/\{[^}]*\}/g, "{}");
      const key = shapes.get(shape) ?? written;
      shapes.set(shape, key);
      const target = paths[key] ?? {};
      paths[key] = target;
      for (const [field, value] of Object.entries(item)) {
        if (!HTTP_METHODS.has(field)) {
          if (!(field in target) && key === written) target[field] = value;
          continue;
        }
        if (field in target || key !== written) {
          warn(
            `OpenAPI: ${field.toUpperCase()} ${written}${where} is left out of the document: it already has ${field.toUpperCase()} ${key} of another host or prefix`,
          );
          continue;
        }
        const operation: Json = {
          ...(value as Json),
          ...(servers === undefined ? {} : { servers }),
        };
        if (typeof operation.operationId === "string") {
          operation.operationId = uniqueId(operation.operationId, site, operationIds);
        }
        target[field] = operation;
      }
    }
  }
  return { ...merged, paths };
}

/** The servers of a site's hosts; undefined for any host. */
function hostServers(hosts: readonly string[], scheme: "http" | "https"): Json[] | undefined {
  if (hosts.length === 0) return undefined;
  return hosts.map((host) => {
    const variables: Json = { scheme: { default: scheme, enum: ["https", "http"] } };
    let name = host;
    if (host.startsWith("*.")) {
      name = `{subdomain}${host.slice(1)}`;
      variables.subdomain = { default: "api", description: `any subdomain of ${host.slice(2)}` };
    }
    return { url: `{scheme}://${name}`, variables };
  });
}

/** `id`, or `id_<site>` (`_2`, `_3`… after that) when a site already has it. */
function uniqueId(id: string, site: Site, used: Set<string>): string {
  const label = (site.pathPrefix ?? site.hosts?.[0] ?? "").replace(/[^A-Za-z0-9]+/g, "_");
  let unique = id;
  for (let i = 1; used.has(unique); i++) {
    unique = `${id}_${label.replace(/^_|_$/g, "")}${i === 1 ? "" : `_${i}`}`;
  }
  used.add(unique);
  return unique;
}

function describeSite(site: Site): string {
  const hosts = site.hosts ?? [];
  return hosts.length === 0 ? "" : ` (hosts ${hosts.join(", ")})`;
}

/** `into` with the components, tags and security of `from` that it lacks, by name. */
function mergeDocuments(into: Json, from: Json): Json {
  const components = { ...((into.components ?? {}) as Record<string, Json>) };
  for (const [section, entries] of Object.entries(
    (from.components ?? {}) as Record<string, Json>,
  )) {
    components[section] = { ...entries, ...(components[section] ?? {}) };
  }
  const tags = [...((into.tags ?? []) as Json[])];
  for (const tag of (from.tags ?? []) as Json[]) {
    if (!tags.some((t) => t.name === tag.name)) tags.push(tag);
  }
  return {
    ...into,
    ...(Object.keys(components).length === 0 ? {} : { components }),
    ...(tags.length === 0 ? {} : { tags }),
  };
}
