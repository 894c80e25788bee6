import type { InvalidRuleMode } from "./invalid-rules.js";
import { type NamingStrategy, namingStrategies } from "./openapi/naming.js";

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
  /**
   * `openapi_configuration=<file.yaml>`: info, servers, security schemes,
   * security, tags; and grpc-gateway's `openapiOptions` (per file, method,
   * message, service, field).
   */
  configuration: string | undefined;
  // grpc-gateway's protoc-gen-openapiv2 switches, each `openapi_<its flag>`:
  /** `openapi_disable_default_errors=true`: no gateway error responses (400, 503, …, `default`). */
  disableDefaultErrors: boolean;
  /** `openapi_disable_default_responses=true`: no `2XX` success response. */
  disableDefaultResponses: boolean;
  /** `openapi_disable_service_tags=true`: operations carry no service tag. */
  disableServiceTags: boolean;
  /** `openapi_naming_strategy=fqn|legacy|simple|package`: component schema names (default fqn). */
  namingStrategy: NamingStrategy;
  /** `openapi_simple_operation_ids=true`: `Method` instead of `Service_Method`. */
  simpleOperationIds: boolean;
  /** `openapi_include_package_in_tags=true`: tag `pkg.v1.Service` instead of `Service`. */
  includePackageInTags: boolean;
  /** `openapi_ignore_comments=true`: no proto comments in the document. */
  ignoreComments: boolean;
  /** `openapi_remove_internal_comments=true`: comments without their `(-- … --)` parts. */
  removeInternalComments: boolean;
  /** `openapi_proto3_optional_nullable=true`: proto3 `optional` fields also allow `null`. */
  proto3OptionalNullable: boolean;
  /** `openapi_omit_enum_default_value=true`: enums without their zero value. */
  omitEnumDefaultValue: boolean;
  /**
   * `openapi_visibility_restriction_selectors=<LABEL>` (repeatable): elements
   * restricted by `google.api.visibility` to one of these labels are shown;
   * other restricted elements leave the document.
   */
  visibilityRestrictionSelectors: string[];
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
      disableDefaultErrors: false,
      disableDefaultResponses: false,
      disableServiceTags: false,
      namingStrategy: "fqn",
      simpleOperationIds: false,
      includePackageInTags: false,
      ignoreComments: false,
      removeInternalComments: false,
      proto3OptionalNullable: false,
      omitEnumDefaultValue: false,
      visibilityRestrictionSelectors: [],
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
      case "openapi_disable_default_errors":
        options.openapi.disableDefaultErrors = parseBool(key, value);
        break;
      case "openapi_disable_default_responses":
        options.openapi.disableDefaultResponses = parseBool(key, value);
        break;
      case "openapi_disable_service_tags":
        options.openapi.disableServiceTags = parseBool(key, value);
        break;
      case "openapi_naming_strategy": {
        const strategy = namingStrategies.find((s) => s === value);
        if (strategy === undefined) {
          throw new Error(`option ${key} takes ${namingStrategies.join(", ")}, not "${value}"`);
        }
        options.openapi.namingStrategy = strategy;
        break;
      }
      case "openapi_simple_operation_ids":
        options.openapi.simpleOperationIds = parseBool(key, value);
        break;
      case "openapi_include_package_in_tags":
        options.openapi.includePackageInTags = parseBool(key, value);
        break;
      case "openapi_ignore_comments":
        options.openapi.ignoreComments = parseBool(key, value);
        break;
      case "openapi_remove_internal_comments":
        options.openapi.removeInternalComments = parseBool(key, value);
        break;
      case "openapi_proto3_optional_nullable":
        options.openapi.proto3OptionalNullable = parseBool(key, value);
        break;
      case "openapi_omit_enum_default_value":
        options.openapi.omitEnumDefaultValue = parseBool(key, value);
        break;
      case "openapi_visibility_restriction_selectors":
        if (!/^[A-Za-z_][\w-]*$/.test(value)) {
          throw new Error(`option ${key} needs a visibility label, not "${value}"`);
        }
        options.openapi.visibilityRestrictionSelectors.push(value);
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
          `unknown option "${key}"; protoc-gen-ts-gateway accepts generate_unbound_methods, grpc_api_configuration, on_invalid_rule, allow_delete_body, repeated_path_param_separator, warn_on_unbound_methods, openapi, openapi_merge, openapi_format, openapi_use_proto_field_name, openapi_enum_as_integer, openapi_configuration, ${openapiV2Switches.join(", ")} and protoplugin's target, import_extension, js_import_style, keep_empty_files, ts_nocheck`,
        );
    }
  }
  return options;
}

/** The options taken from grpc-gateway's protoc-gen-openapiv2 flags, for the unknown-key message. */
const openapiV2Switches = [
  "openapi_disable_default_errors",
  "openapi_disable_default_responses",
  "openapi_disable_service_tags",
  "openapi_naming_strategy",
  "openapi_simple_operation_ids",
  "openapi_include_package_in_tags",
  "openapi_ignore_comments",
  "openapi_remove_internal_comments",
  "openapi_proto3_optional_nullable",
  "openapi_omit_enum_default_value",
  "openapi_visibility_restriction_selectors",
];

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
