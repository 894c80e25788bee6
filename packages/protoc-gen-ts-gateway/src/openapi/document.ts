import type { DescFile, DescService } from "@bufbuild/protobuf";
import type { RouteInfo } from "../http-rules.js";
import type { Response, Swagger } from "../proto/protoc-gen-openapiv2/options/openapiv2_pb.js";
import { GenerationError } from "../source-location.js";
import type { OpenApiConfiguration } from "./config.js";
import { errorComponents } from "./errors.js";
import type { NamingStrategy } from "./naming.js";
import { renameSchemas } from "./naming.js";
import * as v2 from "./openapiv2.js";
import { type OperationDefaults, routeOperation } from "./operations.js";
import { pathShape, underPath } from "./path-items.js";
import {
  type JsonSchema,
  plainShape,
  type SchemaJsonOptions,
  SchemaSet,
  type SchemaShape,
} from "./schemas.js";
import { isVisible } from "./visibility.js";

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
 * The generator switches of grpc-gateway's protoc-gen-openapiv2 that shape a
 * whole document (each an `openapi_*` plugin option), besides the
 * {@link SchemaShape} its schemas get.
 */
export interface DocumentSwitches {
  readonly shape: SchemaShape;
  /** `openapi_disable_default_errors`: no gateway error responses. */
  readonly disableDefaultErrors: boolean;
  /** `openapi_disable_default_responses`: no `2XX` success response. */
  readonly disableDefaultResponses: boolean;
  /** `openapi_disable_service_tags`: operations untagged, no service tags. */
  readonly disableServiceTags: boolean;
  /** `openapi_include_package_in_tags`: tags `pkg.v1.Service` instead of `Service`. */
  readonly includePackageInTags: boolean;
  /** `openapi_simple_operation_ids`: `Method` instead of `Service_Method`. */
  readonly simpleOperationIds: boolean;
  /** `openapi_naming_strategy`. */
  readonly namingStrategy: NamingStrategy;
}

/** What the plugin writes without any switch. */
export const plainSwitches: DocumentSwitches = {
  shape: plainShape,
  disableDefaultErrors: false,
  disableDefaultResponses: false,
  disableServiceTags: false,
  includePackageInTags: false,
  simpleOperationIds: false,
  namingStrategy: "fqn",
};

/**
 * An OpenAPI 3.1 document for the routes of some services: one operation per
 * route (additional bindings included), schemas for every message reached,
 * and the error responses the gateway can give; with what grpc-gateway's
 * openapiv2 annotations of its files, services, methods, messages and fields
 * say, and without what `google.api.visibility` restricts.
 */
export function buildDocument(
  input: DocumentServices,
  json: SchemaJsonOptions,
  config: OpenApiConfiguration,
  switches: DocumentSwitches = plainSwitches,
): JsonSchema {
  const { shape } = switches;
  const schemas = new SchemaSet(json, shape);
  const selectors = shape.selectors;
  const swagger = fileAnnotations(
    input.services.map((s) => s.service.file),
    shape,
  );
  const fileResponses: Record<string, Response> = {};
  for (const s of swagger) Object.assign(fileResponses, s.responses);
  // A file's set value over an earlier file's (one file but with openapi_merge).
  const lastSet = <K extends keyof Swagger>(key: K): Swagger[K] | undefined =>
    swagger
      .map((s) => s[key])
      .filter((v) => v !== undefined && v !== "" && !(Array.isArray(v) && v.length === 0))
      .pop();
  const host = lastSet("host") ?? "";
  const basePath = lastSet("basePath") ?? "";
  const visible = input.services
    .filter(({ service }) => isVisible(service, selectors))
    .map(({ service, routes }) => ({
      service,
      routes: routes.filter((r) => isVisible(r.method, selectors)),
    }));
  const paths: Record<string, Record<string, JsonSchema>> = {};
  const owners = new Map<string, RouteInfo>();
  const operationIds = new Map<string, string>();
  const shapes = new Map<string, string>();
  for (const { service, routes } of visible) {
    const defaults: OperationDefaults = {
      tags: switches.disableServiceTags ? [] : [tagName(service, switches)],
      defaultResponse: !switches.disableDefaultResponses,
      defaultErrors: !switches.disableDefaultErrors,
      consumes: lastSet("consumes") ?? [],
      produces: lastSet("produces") ?? [],
      responses: fileResponses,
      host,
      basePath,
    };
    for (const route of routes) {
      const id = operationId(route, operationIds, switches.simpleOperationIds);
      const option = shape.annotations.method(route.method);
      let entry = routeOperation(route, id, schemas, defaults, option);
      // Paths that differ only in parameter names are one path item.
      const pathKey = pathShape(entry.path);
      const first = shapes.get(pathKey);
      // (Unless that item has the method already: a `*` and a `**` route at
      // one place, which the router tells apart, stay two paths.)
      if (first === undefined) shapes.set(pathKey, entry.path);
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
  const responses = switches.disableDefaultErrors ? undefined : errorComponents(schemas);
  const components: JsonSchema = { schemas: schemas.components() };
  if (responses !== undefined) components.responses = responses;
  const securitySchemes: JsonSchema = {};
  for (const s of swagger) {
    for (const [name, scheme] of Object.entries(s.securityDefinitions?.security ?? {})) {
      const converted = v2.securityScheme(scheme);
      if (converted !== undefined) securitySchemes[name] = converted;
    }
  }
  Object.assign(securitySchemes, config.securitySchemes);
  if (Object.keys(securitySchemes).length > 0) components.securitySchemes = securitySchemes;
  const info: JsonSchema = {
    title: input.title,
    version: versionOf(input.services.map((s) => s.service)),
  };
  for (const s of swagger) if (s.info !== undefined) Object.assign(info, v2.info(s.info));
  const document: JsonSchema = { openapi: "3.1.0", info: { ...info, ...config.info } };
  const servers = config.servers ?? v2.servers(host, basePath, lastSet("schemes") ?? []);
  if (servers.length > 0) document.servers = servers;
  const security = config.security ?? v2.security(lastSet("security") ?? []);
  if (security.length > 0) document.security = security;
  document.tags = mergeTags([
    ...(switches.disableServiceTags ? [] : tags(visible, schemas, switches)),
    ...swagger.flatMap((s) => s.tags.map(v2.tag)),
    ...(config.tags ?? []),
  ]);
  const docs = lastSet("externalDocs");
  if (docs !== undefined) document.externalDocs = v2.externalDocs(docs);
  if (config.externalDocs !== undefined) document.externalDocs = config.externalDocs;
  for (const s of swagger) Object.assign(document, v2.extensionsOf(s.extensions));
  document.paths = paths;
  document.components = components;
  return renameSchemas(document, switches.namingStrategy);
}

/** The `openapiv2_swagger` of each file the document describes, in order, once each. */
function fileAnnotations(files: readonly DescFile[], shape: SchemaShape): Swagger[] {
  return [...new Set(files)].flatMap((f) => shape.annotations.file(f) ?? []);
}

/** One tag per name: a later one's fields over an earlier one's. */
function mergeTags(list: readonly JsonSchema[]): JsonSchema[] {
  const byName = new Map<unknown, JsonSchema>();
  for (const t of list) byName.set(t.name, { ...byName.get(t.name), ...t });
  return [...byName.values()];
}

/** A service's tag: its `openapiv2_tag` name, else `Service` (`pkg.Service` with the package). */
function tagName(service: DescService, switches: DocumentSwitches): string {
  const named = switches.shape.annotations.service(service)?.name ?? "";
  if (named !== "") return named;
  return switches.includePackageInTags ? service.typeName : service.name;
}

/**
 * `Service_Method` (`Method` with `openapi_simple_operation_ids`), numbered
 * for additional bindings, qualified if two services share a name.
 */
function operationId(route: RouteInfo, taken: Map<string, string>, simple: boolean): string {
  const { method } = route;
  const service = method.parent.typeName;
  let base = simple ? method.name : `${method.parent.name}_${method.name}`;
  const other = taken.get(base);
  if (other !== undefined && other !== service) {
    base = `${service.replace(/\./g, "_")}_${method.name}`;
  }
  let id = base;
  for (let n = 2; taken.has(id); n++) id = `${base}_${n}`;
  taken.set(id, service);
  return id;
}

function tags(
  services: DocumentServices["services"],
  schemas: SchemaSet,
  switches: DocumentSwitches,
): JsonSchema[] {
  return services.map(({ service }) => {
    const comment = schemas.comment(service);
    const tag: JsonSchema = { name: tagName(service, switches) };
    tag.description = comment ? `${comment}\n\n\`${service.typeName}\`` : `\`${service.typeName}\``;
    const option = switches.shape.annotations.service(service);
    return option === undefined ? tag : { ...tag, ...v2.tag(option), name: tag.name };
  });
}

/** The package's version suffix (`library.v1` → `v1`), else `0.0.0`. */
function versionOf(services: readonly DescService[]): string {
  const pkg = services[0]?.file.proto.package ?? "";
  const last = pkg.split(".").pop() ?? "";
  return /^v\d+\w*$/.test(last) ? last : "0.0.0";
}
