import { create, createFileRegistry, type DescFile } from "@bufbuild/protobuf";
import {
  type CodeGeneratorRequest,
  type CodeGeneratorResponse_File,
  CodeGeneratorResponse_FileSchema,
  FileDescriptorSetSchema,
} from "@bufbuild/protobuf/wkt";
import { stringify } from "yaml";
import { readApiConfiguration } from "../api-configuration.js";
import { collectRoutes } from "../http-rules.js";
import type { GatewayPluginOptions } from "../options.js";
import { checkRouteConflicts } from "../route-conflicts.js";
import { readOpenApiConfiguration } from "./config.js";
import { buildDocument, type DocumentServices } from "./document.js";

/**
 * The OpenAPI documents for a generation request: one `<file>.openapi.json`
 * (or `.yaml`) per proto file with services, or with `openapi_merge=<name>`
 * one `<name>.openapi.json` for all of them. Built from the same routes the
 * router is generated from (`collectRoutes`), so the two cannot disagree.
 */
export function generateOpenApi(
  request: CodeGeneratorRequest,
  options: GatewayPluginOptions,
): CodeGeneratorResponse_File[] {
  const { openapi } = options;
  if (openapi.mode === "off") return [];
  const registry = createFileRegistry(create(FileDescriptorSetSchema, { file: request.protoFile }));
  const configuredRules = readApiConfiguration(options.grpcApiConfiguration);
  const config = readOpenApiConfiguration(openapi.configuration);
  const documents: Array<{ name: string } & DocumentServices> = [];
  for (const name of request.fileToGenerate) {
    const file = registry.getFile(name);
    if (file === undefined || file.services.length === 0) continue;
    const services = file.services.map((service) => ({
      service,
      routes: collectRoutes(service, options, configuredRules),
    }));
    checkRouteConflicts(services.flatMap((s) => s.routes));
    documents.push({ name: file.name, title: titleOf(file), services });
  }
  if (documents.length === 0) return [];
  const merged =
    openapi.merge === undefined
      ? documents
      : [
          {
            name: openapi.merge,
            title: openapi.merge,
            services: documents.flatMap((d) => d.services),
          },
        ];
  const json = {
    useProtoFieldName: openapi.useProtoFieldName,
    enumAsInteger: openapi.enumAsInteger,
  };
  return merged.map((d) => {
    const document = buildDocument(d, json, config);
    const content =
      openapi.format === "yaml"
        ? stringify(document, { aliasDuplicateObjects: false, lineWidth: 0 })
        : `${JSON.stringify(document, null, 2)}\n`;
    return create(CodeGeneratorResponse_FileSchema, {
      name: `${d.name}.openapi.${openapi.format}`,
      content,
    });
  });
}

/** The only service's full name, else the proto file's name. */
function titleOf(file: DescFile): string {
  const only = file.services.length === 1 ? file.services[0] : undefined;
  return only?.typeName ?? file.proto.name;
}
