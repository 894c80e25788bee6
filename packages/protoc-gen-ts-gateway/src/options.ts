import type { InvalidRuleMode } from "./invalid-rules.js";

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
  /** The OpenAPI documents to write besides (or instead of) the TypeScript; see {@link OpenApiOptions}. */
  openapi: OpenApiOptions;
  /**
   * `on_invalid_rule=error|skip`: a rule that cannot be served (a bad template
   * or field, two routes that conflict) fails the run, every such rule named
   * (default `error`), or is left out with a warning on stderr (`skip`).
   */
  onInvalidRule: InvalidRuleMode;
  /** `allow_delete_body=true`: DELETE rules may have a `body` (grpc-gateway's flag); default: refused. */
  allowDeleteBody: boolean;
  /**
   * `repeated_path_param_separator=csv|pipes|ssv|tsv`: how a path variable
   * bound to a repeated field splits its value: `,` (default), `|`, space, tab.
   */
  repeatedPathParamSeparator: PathParamSeparator;
  /** `warn_on_unbound_methods=true`: a warning on stderr per method without an HTTP rule. */
  warnOnUnboundMethods: boolean;
}

/** grpc-gateway's names of the separators of repeated path parameters. */
export type PathParamSeparator = "csv" | "pipes" | "ssv" | "tsv";

/** The character each {@link PathParamSeparator} splits on. */
export const pathParamSeparators: Readonly<Record<PathParamSeparator, string>> = {
  csv: ",",
  pipes: "|",
  ssv: " ",
  tsv: "\t",
};

/** `openapi*` options: OpenAPI 3.1 documents describing the routes (README "OpenAPI"). */
export interface OpenApiOptions {
  /**
   * `openapi=true`: write the documents besides the TypeScript files;
   * `openapi=only`: write only the documents (a second buf.gen.yaml entry with
   * its own `out`). Default: none.
   */
  mode: "off" | "with-code" | "only";
  /** `openapi_merge=<name>`: one document `<name>.openapi.json` for every file, instead of one per proto file. */
  merge: string | undefined;
  /** `openapi_format=json|yaml`; default json. */
  format: "json" | "yaml";
  /** `openapi_use_proto_field_name=true`: proto field names, as the mux option `useProtoFieldName`. */
  useProtoFieldName: boolean;
  /** `openapi_enum_as_integer=true`: enums as numbers first, as the mux option `enumAsInteger`. */
  enumAsInteger: boolean;
  /** `openapi_configuration=<file.yaml>`: info, servers, security schemes, security, tags. */
  configuration: string | undefined;
}

/** Parses the plugin's own options; unknown keys are an error naming the known ones. */
export function parseOptions(
  raw: ReadonlyArray<{ key: string; value: string }>,
): GatewayPluginOptions {
  const options: GatewayPluginOptions = {
    generateUnboundMethods: false,
    grpcApiConfiguration: undefined,
    openapi: {
      mode: "off",
      merge: undefined,
      format: "json",
      useProtoFieldName: false,
      enumAsInteger: false,
      configuration: undefined,
    },
    onInvalidRule: "error",
    allowDeleteBody: false,
    repeatedPathParamSeparator: "csv",
    warnOnUnboundMethods: false,
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
      case "openapi":
        if (value !== "only" && value !== "" && value !== "true" && value !== "false") {
          throw new Error(`option ${key} takes true, false or only, not "${value}"`);
        }
        options.openapi.mode = value === "only" ? "only" : value === "false" ? "off" : "with-code";
        break;
      case "openapi_merge":
        if (
          !/^[\w.-]+(\/[\w.-]+)*$/.test(value) ||
          value.split("/").some((part) => part === "." || part === "..")
        ) {
          throw new Error(`option ${key} needs a file name without extension, not "${value}"`);
        }
        options.openapi.merge = value;
        break;
      case "openapi_format":
        if (value !== "json" && value !== "yaml") {
          throw new Error(`option ${key} takes json or yaml, not "${value}"`);
        }
        options.openapi.format = value;
        break;
      case "openapi_use_proto_field_name":
        options.openapi.useProtoFieldName = parseBool(key, value);
        break;
      case "openapi_enum_as_integer":
        options.openapi.enumAsInteger = parseBool(key, value);
        break;
      case "openapi_configuration":
        if (value === "") throw new Error(`option ${key} needs a file path`);
        options.openapi.configuration = value;
        break;
      case "on_invalid_rule":
        if (value !== "error" && value !== "skip") {
          throw new Error(`option ${key} takes error or skip, not "${value}"`);
        }
        options.onInvalidRule = value;
        break;
      case "allow_delete_body":
        options.allowDeleteBody = parseBool(key, value);
        break;
      case "repeated_path_param_separator":
        if (!Object.hasOwn(pathParamSeparators, value)) {
          throw new Error(`option ${key} takes csv, pipes, ssv or tsv, not "${value}"`);
        }
        options.repeatedPathParamSeparator = value as PathParamSeparator;
        break;
      case "warn_on_unbound_methods":
        options.warnOnUnboundMethods = parseBool(key, value);
        break;
      default:
        throw new Error(
          `unknown option "${key}"; protoc-gen-ts-gateway accepts generate_unbound_methods, grpc_api_configuration, on_invalid_rule, allow_delete_body, repeated_path_param_separator, warn_on_unbound_methods, openapi, openapi_merge, openapi_format, openapi_use_proto_field_name, openapi_enum_as_integer, openapi_configuration and protoplugin's target, import_extension, js_import_style, keep_empty_files, ts_nocheck`,
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

/** protoplugin's own option keys, which {@link parseOptions} never sees. */
const protopluginKeys = new Set([
  "target",
  "ts_nocheck",
  "elide_plugin_version",
  "bootstrap_wkt",
  "rewrite_imports",
  "import_extension",
  "js_import_style",
  "keep_empty_files",
]);

/**
 * Parses a CodeGeneratorRequest's `parameter` string (`k=v,k2=v2`) into the
 * plugin's options, the way protoplugin hands them to {@link parseOptions}:
 * for code that runs outside protoplugin's generate functions (OpenAPI).
 */
export function parseParameter(parameter: string): GatewayPluginOptions {
  const raw = parameter === "" ? [] : parameter.split(",");
  return parseOptions(
    raw
      .map((pair) => {
        const i = pair.indexOf("=");
        return i === -1
          ? { key: pair, value: "" }
          : { key: pair.slice(0, i), value: pair.slice(i + 1) };
      })
      .filter(({ key }) => !protopluginKeys.has(key)),
  );
}
