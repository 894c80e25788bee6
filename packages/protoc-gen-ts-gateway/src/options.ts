/** Options of protoc-gen-ts-gateway, besides protoplugin's own (`target`, `import_extension`, …). */
export interface GatewayPluginOptions {
  /**
   * `generate_unbound_methods=true`: methods without a `google.api.http`
   * annotation are served at `POST /<package>.<Service>/<Method>` with `body: "*"`.
   */
  generateUnboundMethods: boolean;
  /**
   * `grpc_api_configuration=<path>`: a `google.api.Service` YAML file whose
   * `http.rules` add to (and for the same selector replace) the annotations.
   */
  grpcApiConfiguration: string | undefined;
}

/** Parses the plugin's own options; unknown keys are an error naming the known ones. */
export function parseOptions(
  raw: ReadonlyArray<{ key: string; value: string }>,
): GatewayPluginOptions {
  const options: GatewayPluginOptions = {
    generateUnboundMethods: false,
    grpcApiConfiguration: undefined,
  };
  for (const { key, value } of raw) {
    switch (key) {
      case "generate_unbound_methods":
        options.generateUnboundMethods = parseBool(key, value);
        break;
      case "grpc_api_configuration":
        if (value === "") throw new Error(`option ${key} needs a file path`);
        options.grpcApiConfiguration = value;
        break;
      default:
        throw new Error(
          `unknown option "${key}"; protoc-gen-ts-gateway accepts generate_unbound_methods, grpc_api_configuration and protoplugin's target, import_extension, js_import_style, keep_empty_files, ts_nocheck`,
        );
    }
  }
  return options;
}

function parseBool(key: string, value: string): boolean {
  switch (value) {
    case "":
    case "true":
      return true;
    case "false":
      return false;
    default:
      throw new Error(`option ${key} takes true or false, not "${value}"`);
  }
}
