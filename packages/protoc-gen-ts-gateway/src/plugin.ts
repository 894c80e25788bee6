import { createEcmaScriptPlugin } from "@bufbuild/protoplugin";
import { readApiConfiguration } from "./api-configuration.js";
import { generateService } from "./generate-service.js";
import { collectRoutes } from "./http-rules.js";
import { type GatewayPluginOptions, parseOptions } from "./options.js";
import { checkRouteConflicts } from "./route-conflicts.js";

/** The plugin's version, printed in every generated file's header. */
export const version = "v0.1.0";

/**
 * protoc-gen-ts-gateway: for each file with services, writes `<name>_gateway.ts`
 * beside protoc-gen-es's `<name>_pb.ts`.
 */
export const protocGenTsGateway = createEcmaScriptPlugin<GatewayPluginOptions>({
  name: "protoc-gen-ts-gateway",
  version,
  parseOptions,
  generateTs(schema) {
    const configured = readApiConfiguration(schema.options.grpcApiConfiguration);
    for (const file of schema.files) {
      if (file.services.length === 0) continue;
      const f = schema.generateFile(`${file.name}_gateway.ts`);
      f.preamble(file);
      const perService = file.services.map((service) => ({
        service,
        routes: collectRoutes(service, schema.options, configured),
      }));
      checkRouteConflicts(perService.flatMap((s) => s.routes));
      for (const { service, routes } of perService) generateService(f, service, routes);
    }
  },
});
