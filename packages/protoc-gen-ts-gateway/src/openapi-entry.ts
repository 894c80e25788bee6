// protoc-gen-ts-gateway/openapi: the plugin's OpenAPI generator, for programs
// that read descriptors at run time (`ts-gateway openapi`, the gateway's
// `docs: true`) and must describe exactly the routes they serve, as the
// plugin's `openapi=true` would.

import {
  create,
  createFileRegistry,
  type DescFile,
  type DescService,
  type FileRegistry,
} from "@bufbuild/protobuf";
import { FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import type { RouteInfo } from "./http-rules.js";
import { OpenApiV2Annotations } from "./openapi/annotations.js";
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
  /**
   * An `openapi_configuration` YAML file: info, servers, security schemes,
   * security, tags, and grpc-gateway's `openapiOptions`.
   */
  readonly configuration?: string | undefined;
}

/** One OpenAPI 3.1 document for the given services, as `openapi=true,openapi_merge=…` writes it. */
export function openApiDocument(options: OpenApiDocumentOptions): JsonSchema {
  checkRouteConflicts(options.services.flatMap((s) => s.routes));
  const config = readOpenApiConfiguration(options.configuration);
  const registry = registryOf(options.services.map((s) => s.service.file));
  return buildDocument(
    { title: options.title, services: options.services },
    {
      useProtoFieldName: options.useProtoFieldName ?? false,
      enumAsInteger: options.enumAsInteger ?? false,
    },
    config,
    {
      ...plainSwitches,
      shape: {
        ...plainSwitches.shape,
        annotations: new OpenApiV2Annotations(config.openapiOptions, registry),
        lookup: (name) => registry.getMessage(name) ?? registry.getEnum(name),
      },
    },
  );
}

/** A registry of the files and everything they import, in dependency order. */
function registryOf(files: readonly DescFile[]): FileRegistry {
  const ordered: DescFile[] = [];
  const seen = new Set<DescFile>();
  const visit = (file: DescFile) => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const dep of file.dependencies) visit(dep);
    ordered.push(file);
  };
  for (const file of files) visit(file);
  return createFileRegistry(create(FileDescriptorSetSchema, { file: ordered.map((f) => f.proto) }));
}
