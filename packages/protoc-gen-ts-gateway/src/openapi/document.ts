import type { DescService } from "@bufbuild/protobuf";
import { getComments } from "../comments.js";
import type { RouteInfo } from "../http-rules.js";
import { GenerationError } from "../source-location.js";
import type { OpenApiConfiguration } from "./config.js";
import { errorComponents } from "./errors.js";
import { routeOperation } from "./operations.js";
import { pathShape, underPath } from "./path-items.js";
import { type JsonSchema, type SchemaJsonOptions, SchemaSet } from "./schemas.js";

/** The methods an OpenAPI path item has keys for. */
const openApiMethods = new Set([
  "get",
  "put",
  "post",
  "delete",
  "options",
  "head",
  "patch",
  "trace",
]);

/** The services one document describes, each with the routes the router serves. */
export interface DocumentServices {
  readonly title: string;
  readonly services: ReadonlyArray<{ service: DescService; routes: readonly RouteInfo[] }>;
}

/**
 * An OpenAPI 3.1 document for the routes of some services: one operation per
 * route (additional bindings included), schemas for every message reached,
 * and the error responses the gateway can give.
 */
export function buildDocument(
  input: DocumentServices,
  json: SchemaJsonOptions,
  config: OpenApiConfiguration,
): JsonSchema {
  const schemas = new SchemaSet(json);
  const paths: Record<string, Record<string, JsonSchema>> = {};
  const owners = new Map<string, RouteInfo>();
  const operationIds = new Map<string, string>();
  const shapes = new Map<string, string>();
  for (const { routes } of input.services) {
    for (const route of routes) {
      const id = operationId(route, operationIds);
      let entry = routeOperation(route, id, schemas);
      // Paths that differ only in parameter names are one path item.
      const shape = pathShape(entry.path);
      const first = shapes.get(shape);
      // (Unless that item has the method already: a `*` and a `**` route at
      // one place, which the router tells apart, stay two paths.)
      if (first === undefined) shapes.set(shape, entry.path);
      else if (first !== entry.path && paths[first]?.[entry.method] === undefined) {
        entry = underPath(entry, first);
      }
      const key = `${entry.method} ${entry.path}`;
      const owner = owners.get(key);
      if (owner !== undefined) {
        throw new GenerationError(
          route.method,
          `${route.httpMethod} ${route.path} is the OpenAPI operation ${key} that ${owner.method.parent.typeName}.${owner.method.name} (${owner.path}) has already`,
        );
      }
      owners.set(key, route);
      const item = paths[entry.path] ?? {};
      paths[entry.path] = item;
      if (openApiMethods.has(entry.method)) {
        item[entry.method] = entry.operation;
      } else {
        // OpenAPI has no key for other methods (`custom: {kind: "PURGE"}`).
        const custom = (item["x-custom-methods"] ?? {}) as Record<string, JsonSchema>;
        custom[route.httpMethod] = entry.operation;
        item["x-custom-methods"] = custom;
      }
    }
  }
  const responses = errorComponents(schemas);
  const components: JsonSchema = { schemas: schemas.components(), responses };
  if (config.securitySchemes !== undefined) components.securitySchemes = config.securitySchemes;
  const document: JsonSchema = {
    openapi: "3.1.0",
    info: {
      title: input.title,
      version: versionOf(input.services.map((s) => s.service)),
      ...config.info,
    },
  };
  if (config.servers !== undefined) document.servers = config.servers;
  if (config.security !== undefined) document.security = config.security;
  document.tags = [...tags(input), ...(config.tags ?? [])];
  if (config.externalDocs !== undefined) document.externalDocs = config.externalDocs;
  document.paths = paths;
  document.components = components;
  return document;
}

/** `Service_Method`, numbered for additional bindings, qualified if two services share a name. */
function operationId(route: RouteInfo, taken: Map<string, string>): string {
  const { method } = route;
  const service = method.parent.typeName;
  let base = `${method.parent.name}_${method.name}`;
  const other = taken.get(base);
  if (other !== undefined && other !== service) {
    base = `${service.replace(/\./g, "_")}_${method.name}`;
  }
  let id = base;
  for (let n = 2; taken.has(id); n++) id = `${base}_${n}`;
  taken.set(id, service);
  return id;
}

function tags(input: DocumentServices): JsonSchema[] {
  return input.services.map(({ service }) => {
    const comment = getComments(service).leading?.trim();
    const tag: JsonSchema = { name: service.name };
    tag.description = comment ? `${comment}\n\n\`${service.typeName}\`` : `\`${service.typeName}\``;
    return tag;
  });
}

/** The package's version suffix (`library.v1` → `v1`), else `0.0.0`. */
function versionOf(services: readonly DescService[]): string {
  const pkg = services[0]?.file.proto.package ?? "";
  const last = pkg.split(".").pop() ?? "";
  return /^v\d+\w*$/.test(last) ? last : "0.0.0";
}
