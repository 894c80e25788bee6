import {
  type DescField,
  type DescMessage,
  type DescMethod,
  type DescService,
  getOption,
  hasOption,
} from "@bufbuild/protobuf";
import {
  type CompiledPattern,
  compilePathTemplate,
  TemplateError,
} from "@ts-gateway/runtime/path-template";
import { type GatewayPluginOptions, pathParamSeparators } from "./options.js";
import { http } from "./proto/google/api/annotations_pb.js";
import type { HttpRule } from "./proto/google/api/http_pb.js";
import { GenerationError } from "./source-location.js";

/** One HTTP route of a method, validated and with its path template compiled. */
export interface RouteInfo {
  readonly method: DescMethod;
  /** HTTP method, upper case (`GET`, or a custom kind such as `HEAD`). */
  readonly httpMethod: string;
  /** The path template as written. */
  readonly path: string;
  readonly pattern: CompiledPattern;
  /** `""` (no body), `"*"`, or a request field path. */
  readonly body: string;
  /** `""` (the whole response), or a response field path. */
  readonly responseBody: string;
  /**
   * The character a path variable bound to a repeated field is split on, when
   * it is not `,` (`repeated_path_param_separator`); undefined otherwise.
   */
  readonly pathParamSeparator?: string;
}

/** The plugin options route collection reads. */
export type RouteOptions = Pick<
  GatewayPluginOptions,
  "generateUnboundMethods" | "allowDeleteBody" | "repeatedPathParamSeparator"
>;

/** Receives a rule that cannot be served; the rule is left out. */
export type ReportInvalidRule = (error: GenerationError) => void;

/**
 * The routes of a service: each method's `google.api.http` rule (or the rule
 * from the API configuration file, which wins), its `additional_bindings`, and
 * with `generate_unbound_methods` a `POST /pkg.Service/Method` for the rest.
 * Without `report` the first invalid rule throws its {@link GenerationError};
 * with it, every invalid rule (a binding at a time) is reported and left out,
 * so that one run names them all.
 */
export function collectRoutes(
  service: DescService,
  options: Partial<RouteOptions> & Pick<GatewayPluginOptions, "generateUnboundMethods">,
  configuredRules: ReadonlyMap<string, HttpRule>,
  report?: ReportInvalidRule,
): RouteInfo[] {
  const routes: RouteInfo[] = [];
  const rules: RuleOptions = {
    allowDeleteBody: options.allowDeleteBody ?? false,
    separator: pathParamSeparators[options.repeatedPathParamSeparator ?? "csv"],
  };
  const add = (build: () => RouteInfo): void => {
    if (report === undefined) {
      routes.push(build());
      return;
    }
    try {
      routes.push(build());
    } catch (err) {
      if (!(err instanceof GenerationError)) throw err;
      report(err);
    }
  };
  for (const method of service.methods) {
    const rule =
      configuredRules.get(`${service.typeName}.${method.name}`) ??
      (hasOption(method, http) ? getOption(method, http) : undefined);
    if (rule !== undefined) {
      add(() => ruleToRoute(method, rule, rules));
      for (const binding of rule.additionalBindings) {
        add(() => {
          if (binding.additionalBindings.length > 0) {
            throw new GenerationError(method, "additional_bindings may not be nested");
          }
          return ruleToRoute(method, binding, rules);
        });
      }
    } else if (options.generateUnboundMethods) {
      const path = `/${service.typeName}/${method.name}`;
      add(() => validate(method, "POST", path, "*", "", rules));
    }
  }
  return routes;
}

/** What {@link validate} allows, from the plugin options. */
interface RuleOptions {
  readonly allowDeleteBody: boolean;
  /** The separator of repeated path variables. */
  readonly separator: string;
}

function ruleToRoute(method: DescMethod, rule: HttpRule, options: RuleOptions): RouteInfo {
  const p = rule.pattern;
  switch (p.case) {
    case "get":
    case "put":
    case "post":
    case "delete":
    case "patch":
      return validate(method, p.case.toUpperCase(), p.value, rule.body, rule.responseBody, options);
    case "custom":
      if (!/^[A-Za-z][A-Za-z-]*$/.test(p.value.kind)) {
        throw new GenerationError(
          method,
          `custom HTTP method kind "${p.value.kind}" is not a method name`,
        );
      }
      return validate(
        method,
        p.value.kind.toUpperCase(),
        p.value.path,
        rule.body,
        rule.responseBody,
        options,
      );
    default:
      throw new GenerationError(
        method,
        "google.api.http rule has no pattern (get, put, post, delete, patch or custom)",
      );
  }
}

function validate(
  method: DescMethod,
  httpMethod: string,
  path: string,
  body: string,
  responseBody: string,
  options: RuleOptions,
): RouteInfo {
  let pattern: CompiledPattern;
  try {
    pattern = compilePathTemplate(path);
  } catch (err) {
    if (err instanceof TemplateError) throw new GenerationError(method, err.message);
    throw err;
  }
  let repeated = false;
  for (const variable of pattern.variables) {
    const field = resolveFieldPath(method, method.input, variable.fieldPath, "path variable");
    // A repeated scalar or enum field takes a separated list, as grpc-gateway's.
    const list = field.fieldKind === "list" && field.listKind !== "message";
    repeated ||= list;
    if (
      !list &&
      (field.fieldKind === "list" || field.fieldKind === "map" || field.fieldKind === "message")
    ) {
      throw new GenerationError(
        method,
        `path variable "${variable.fieldPath}" in "${path}" names a ${field.fieldKind === "list" ? "repeated message" : field.fieldKind} field; path variables bind to scalar or enum fields, repeated ones as a separated list`,
      );
    }
  }
  if (
    body !== "" &&
    (httpMethod === "GET" || (httpMethod === "DELETE" && !options.allowDeleteBody))
  ) {
    const hint =
      httpMethod === "DELETE" ? " (the plugin option allow_delete_body=true allows it)" : "";
    throw new GenerationError(
      method,
      `a ${httpMethod} route cannot have a body (body: "${body}")${hint}`,
    );
  }
  if (body !== "" && body !== "*") {
    resolveFieldPath(method, method.input, body, "body");
    if (pattern.variables.some((v) => v.fieldPath === body)) {
      throw new GenerationError(
        method,
        `body "${body}" is also bound in the path "${path}"; a field comes from one place`,
      );
    }
  }
  if (responseBody !== "") resolveFieldPath(method, method.output, responseBody, "response_body");
  const route: RouteInfo = { method, httpMethod, path, pattern, body, responseBody };
  return repeated && options.separator !== ","
    ? { ...route, pathParamSeparator: options.separator }
    : route;
}

/** Resolves a dotted field path by proto field names, or fails with a generation error. */
function resolveFieldPath(
  method: DescMethod,
  root: DescMessage,
  fieldPath: string,
  what: string,
): DescField {
  let message: DescMessage | undefined = root;
  let field: DescField | undefined;
  for (const name of fieldPath.split(".")) {
    if (message === undefined) {
      throw new GenerationError(
        method,
        `${what} "${fieldPath}": "${field?.name}" is not a message field`,
      );
    }
    field = message.fields.find((f) => f.name === name);
    if (field === undefined) {
      throw new GenerationError(
        method,
        `${what} "${fieldPath}": ${message.typeName} has no field "${name}"`,
      );
    }
    message = field.fieldKind === "message" ? field.message : undefined;
  }
  if (field === undefined) throw new GenerationError(method, `${what}: empty field path`);
  return field;
}
