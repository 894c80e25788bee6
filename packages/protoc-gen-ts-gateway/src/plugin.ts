import { create, hasOption } from "@bufbuild/protobuf";
import { CodeGeneratorRequestSchema, CodeGeneratorResponseSchema } from "@bufbuild/protobuf/wkt";
import { createEcmaScriptPlugin, type Plugin, type Schema } from "@bufbuild/protoplugin";
import { ApiConfigurationError, readApiConfiguration } from "./api-configuration.js";
import { collectFileRoutes } from "./file-routes.js";
import { generateService, type Target } from "./generate-service.js";
import { InvalidRules, InvalidRulesError } from "./invalid-rules.js";
import {
  ConfiguredOptionError,
  generateOpenApi,
  OpenApiConfigurationError,
} from "./openapi/index.js";
import { type GatewayPluginOptions, parseOptions, parseParameter } from "./options.js";
import { http } from "./proto/google/api/annotations_pb.js";
import { SchemaImports } from "./schema-imports.js";
import { compactSourceInfo } from "./source-info.js";
import { GenerationError } from "./source-location.js";

/** The plugin's version, printed in every generated file's header. */
export const version = "v0.1.0";

/**
 * The protoplugin plugin of one run, reporting the invalid rules it meets to
 * `invalid` and, with `warn_on_unbound_methods`, the methods without an HTTP
 * rule to `unbound`.
 */
function pluginFor(invalid: InvalidRules, unbound: Set<string>) {
  return createEcmaScriptPlugin<GatewayPluginOptions>({
    name: "protoc-gen-ts-gateway",
    version,
    parseOptions,
    generateTs: (schema) => generate(schema, "ts", invalid, unbound),
    generateJs: (schema) => generate(schema, "js", invalid, unbound),
    generateDts: (schema) => generate(schema, "dts", invalid, unbound),
  });
}

const extensions: Record<Target, string> = { ts: ".ts", js: ".js", dts: ".d.ts" };

/**
 * Writes `<name>_gateway.<ext>` for each file with services, in one target.
 * The routes of every file are collected first: with `on_invalid_rule=error`
 * a run with invalid rules fails, so nothing is generated for it.
 */
function generate(
  schema: Schema<GatewayPluginOptions>,
  target: Target,
  invalid: InvalidRules,
  unbound: Set<string>,
): void {
  const configured = readApiConfiguration(schema.options.grpcApiConfiguration);
  if (schema.options.warnOnUnboundMethods && !schema.options.generateUnboundMethods) {
    for (const file of schema.files) {
      for (const service of file.services) {
        for (const method of service.methods) {
          const selector = `${service.typeName}.${method.name}`;
          if (!configured.has(selector) && !hasOption(method, http)) unbound.add(selector);
        }
      }
    }
  }
  const files = schema.files
    .filter((file) => file.services.length > 0)
    .map((file) => ({
      file,
      services: collectFileRoutes(file, schema.options, configured, invalid.report),
    }));
  if (schema.options.onInvalidRule === "error" && invalid.problems.length > 0) return;
  for (const { file, services } of files) {
    const f = schema.generateFile(`${file.name}_gateway${extensions[target]}`);
    f.preamble(file);
    const imports = new SchemaImports(f);
    for (const { service, routes } of services) {
      generateService(f, target, service, routes, imports);
    }
  }
}

/** Where {@link createProtocGenTsGateway} writes a skipped rule's warning. */
export type Warn = (line: string) => void;

/**
 * protoc-gen-ts-gateway: for each file with services, writes `<name>_gateway.ts`
 * beside protoc-gen-es's `<name>_pb.ts`. Errors in the user's protos
 * (GenerationError: `file.proto:line:col: pkg.Service.Method: …`) are answered
 * in the CodeGeneratorResponse's `error` field, as the plugin protocol asks
 * for problems with the input, so buf or protoc prints them as they are:
 * every invalid rule of the run at once, or with `on_invalid_rule=skip`,
 * everything else is generated and each skipped rule goes to `warn` (stderr,
 * which buf and protoc print).
 * With the `openapi` option the OpenAPI documents are added to the response
 * (or, with `openapi=only`, are all of it) whatever the `target`: they are
 * neither TypeScript nor transpiled.
 */
export function createProtocGenTsGateway(warn: Warn): Plugin {
  const name = "protoc-gen-ts-gateway";
  return {
    name,
    version,
    run(original) {
      try {
        const request = compactSourceInfo(original);
        const options = parseParameter(request.parameter);
        const invalid = new InvalidRules();
        const unbound = new Set<string>();
        const plugin = pluginFor(invalid, unbound);
        const only = options.openapi.mode === "only";
        const response = plugin.run(
          only ? create(CodeGeneratorRequestSchema, { ...request, fileToGenerate: [] }) : request,
        );
        const strict = options.onInvalidRule === "error";
        if (strict && invalid.problems.length > 0) throw new InvalidRulesError(invalid.problems);
        response.file.push(...generateOpenApi(request, options, version, invalid.report));
        if (strict && invalid.problems.length > 0) throw new InvalidRulesError(invalid.problems);
        for (const p of invalid.problems) warn(`${name}: warning: skipped ${p.message}`);
        for (const selector of unbound) {
          warn(
            `${name}: warning: ${selector} has no google.api.http rule; it is not served over HTTP`,
          );
        }
        return response;
      } catch (err) {
        if (
          err instanceof GenerationError ||
          err instanceof InvalidRulesError ||
          err instanceof ApiConfigurationError ||
          err instanceof OpenApiConfigurationError ||
          err instanceof ConfiguredOptionError
        ) {
          return create(CodeGeneratorResponseSchema, { error: err.message });
        }
        throw err;
      }
    },
  };
}

/** The plugin as the `protoc-gen-ts-gateway` command runs it: warnings on stderr. */
export const protocGenTsGateway: Plugin = createProtocGenTsGateway((line) =>
  process.stderr.write(`${line}\n`),
);
