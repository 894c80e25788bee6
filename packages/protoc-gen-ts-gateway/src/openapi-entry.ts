// protoc-gen-ts-gateway/openapi: the plugin's OpenAPI generator, for programs
// that read descriptors at run time (`ts-gateway openapi`, the gateway's
// `docs: true`) and must describe exactly the routes they serve, as the
// plugin's `openapi=true` would.

import type { DescEnum, DescFile, DescMessage, DescService } from "@bufbuild/protobuf";
import { nestedTypes } from "@bufbuild/protobuf/reflect";
import type { RouteInfo } from "./http-rules.js";
import { readOpenApiConfiguration } from "./openapi/config.js";
import { buildDocument, plainSwitches } from "./openapi/document.js";
import type { JsonSchema } from "./openapi/schemas.js";
import { checkRouteConflicts } from "./route-conflicts.js";

export { OpenApiConfigurationError } from "./openapi/config.js";

/** What {@link openApiDocument} describes and how. */
export interface OpenApiDocumentOptions {
  /** `info.title`. */
  readonly title: string;
  /** The services and the routes `collectRoutes` found for them. */
  readonly services: ReadonlyArray<{ service: DescService; routes: readonly RouteInfo[] }>;
  /** Proto field names in the schemas (the mux option `useProtoFieldName`). */
  readonly useProtoFieldName?: boolean | undefined;
  /** Enums as numbers first (the mux option `enumAsInteger`). */
  readonly enumAsInteger?: boolean | undefined;
  /** An `openapi_configuration` YAML file: info, servers, security schemes, security, tags. */
  readonly configuration?: string | undefined;
}

/** One OpenAPI 3.1 document for the given services, as `openapi=true,openapi_merge=…` writes it. */
export function openApiDocument(options: OpenApiDocumentOptions): JsonSchema {
  checkRouteConflicts(options.services.flatMap((s) => s.routes));
  return buildDocument(
    { title: options.title, services: options.services },
    {
      useProtoFieldName: options.useProtoFieldName ?? false,
      enumAsInteger: options.enumAsInteger ?? false,
    },
    readOpenApiConfiguration(options.configuration),
    {
      ...plainSwitches,
      shape: {
        ...plainSwitches.shape,
        lookup: typeLookup(options.services.map((s) => s.service.file)),
      },
    },
  );
}

/** Messages and enums by full name, of the files and everything they import (`json_schema.ref`). */
function typeLookup(
  files: readonly DescFile[],
): (name: string) => DescMessage | DescEnum | undefined {
  const types = new Map<string, DescMessage | DescEnum>();
  const seen = new Set<DescFile>();
  const visit = (file: DescFile) => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const type of nestedTypes(file)) {
      if (type.kind === "message" || type.kind === "enum") types.set(type.typeName, type);
    }
    for (const dep of file.dependencies) visit(dep);
  };
  for (const file of files) visit(file);
  return (name) => types.get(name);
}
