import { create } from "@bufbuild/protobuf";
import { CodeGeneratorRequestSchema, CodeGeneratorResponseSchema } from "@bufbuild/protobuf/wkt";
import { createEcmaScriptPlugin, type Plugin, type Schema } from "@bufbuild/protoplugin";
import { ApiConfigurationError, readApiConfiguration } from "./api-configuration.js";
import { generateService, type Target } from "./generate-service.js";
import { collectRoutes } from "./http-rules.js";
import { generateOpenApi, OpenApiConfigurationError } from "./openapi/index.js";
import { type GatewayPluginOptions, parseOptions, parseParameter } from "./options.js";
import { checkRouteConflicts } from "./route-conflicts.js";
import { GenerationError } from "./source-location.js";

/** The plugin's version, printed in every generated file's header. */
export const version = "v0.1.0";

/** The protoplugin plugin; {@link protocGenTsGateway} wraps it. */
const plugin = createEcmaScriptPlugin<GatewayPluginOptions>({
  name: "protoc-gen-ts-gateway",
  version,
  parseOptions,
  generateTs: (schema) => generate(schema, "ts"),
  generateJs: (schema) => generate(schema, "js"),
  generateDts: (schema) => generate(schema, "dts"),
});

const extensions: Record<Target, string> = { ts: ".ts", js: ".js", dts: ".d.ts" };

/** Writes `<name>_gateway.<ext>` for each file with services, in one target. */
function generate(schema: Schema<GatewayPluginOptions>, target: Target): void {
  const configured = readApiConfiguration(schema.options.grpcApiConfiguration);
  for (const file of schema.files) {
    if (file.services.length === 0) continue;
    const f = schema.generateFile(`${file.name}_gateway${extensions[target]}`);
    f.preamble(file);
    const perService = file.services.map((service) => ({
      service,
      routes: collectRoutes(service, schema.options, configured),
    }));
    checkRouteConflicts(perService.flatMap((s) => s.routes));
    for (const { service, routes } of perService) generateService(f, target, service, routes);
  }
}

/**
 * protoc-gen-ts-gateway: for each file with services, writes `<name>_gateway.ts`
 * beside protoc-gen-es's `<name>_pb.ts`. Errors in the user's protos
 * (GenerationError: `file.proto:line:col: pkg.Service.Method: …`) are answered
 * in the CodeGeneratorResponse's `error` field, as the plugin protocol asks
 * for problems with the input, so buf or protoc prints them as they are.
 * With the `openapi` option the OpenAPI documents are added to the response
 * (or, with `openapi=only`, are all of it) whatever the `target`: they are
 * neither TypeScript nor transpiled.
 */
export const protocGenTsGateway: Plugin = {
  name: plugin.name,
  version: plugin.version,
  run(request) {
    try {
      const options = parseParameter(request.parameter);
      if (options.openapi.mode === "off") return plugin.run(request);
      const only = options.openapi.mode === "only";
      const response = plugin.run(
        only ? create(CodeGeneratorRequestSchema, { ...request, fileToGenerate: [] }) : request,
      );
      response.file.push(...generateOpenApi(request, options, version));
      return response;
    } catch (err) {
      if (
        err instanceof GenerationError ||
        err instanceof ApiConfigurationError ||
        err instanceof OpenApiConfigurationError
      ) {
        return create(CodeGeneratorResponseSchema, { error: err.message });
      }
      throw err;
    }
  },
};
