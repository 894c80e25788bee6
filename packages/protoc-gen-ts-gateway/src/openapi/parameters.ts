import type { DescField, DescMessage } from "@bufbuild/protobuf";
import { variableEnd } from "@ts-gateway/runtime/path-template";
import type { RouteInfo } from "../http-rules.js";
import type { JsonSchema, SchemaSet } from "./schemas.js";
import { wellKnownSchema } from "./well-known-schemas.js";

/** An OpenAPI parameter object. */
export type Parameter = JsonSchema & { name: string; in: "path" | "query" };

/** A route's path as an OpenAPI path template, with its path parameters. */
export interface OpenApiPath {
  readonly path: string;
  readonly parameters: Parameter[];
}

/**
 * The OpenAPI path of a route. A variable over one segment (`{id}`) stays one
 * parameter; a variable over several (`{name=shelves/*}`) is spelled out as
 * its segments, `/v1/shelves/{shelf}`, one parameter per `*` named after the
 * literal before it, because an OpenAPI path parameter is one segment: every
 * client (and Swagger UI) percent-encodes a `/` inside one, which the gateway
 * (like grpc-gateway) does not match against a `shelves/*` template.
 * The parameter's description says which field it fills. A `**` is one
 * parameter that may hold slashes (`x-multi-segment: true`).
 */
export function openApiPath(route: RouteInfo, schemas: SchemaSet): OpenApiPath {
  const { pattern } = route;
  const parameters: Parameter[] = [];
  const parts: string[] = [];
  const taken = new Set<string>();
  const unique = (name: string): string => {
    let candidate = name;
    for (let i = 2; taken.has(candidate); i++) candidate = `${name}${i}`;
    taken.add(candidate);
    return candidate;
  };
  for (let i = 0; i < pattern.segments.length; i++) {
    const segment = pattern.segments[i]!;
    const length = pattern.segments.length;
    const variable = pattern.variables.find((v) => i >= v.start && i < variableEnd(v, length));
    if (segment.kind === "literal") {
      parts.push(encodeLiteral(segment.value));
      continue;
    }
    const deep = segment.kind === "deep";
    if (variable === undefined) {
      // A wildcard outside any variable: matched, bound to nothing.
      const name = unique(`segment${i + 1}`);
      parts.push(`{${name}}`);
      parameters.push(pathParameter(name, { type: "string" }, "Any segment; not used", deep));
      continue;
    }
    const field = fieldAt(route.method.input, variable.fieldPath);
    const only = variableEnd(variable, length) === variable.start + 1;
    if (only) {
      const name = unique(
        field === undefined ? variable.fieldPath : schemas.pathParamName(field, variable.fieldPath),
      );
      parts.push(`{${name}}`);
      const described = field === undefined ? undefined : schemas.parameterDescription(field);
      // A repeated field: OpenAPI's path style is comma-separated; say when the plugin splits on another.
      const comment =
        route.pathParamSeparator === undefined || field?.fieldKind !== "list"
          ? described
          : `${described === undefined ? "" : `${described} `}(items separated by ${JSON.stringify(route.pathParamSeparator)})`;
      parameters.push(
        pathParameter(
          name,
          field && !deep ? schemas.parameterSchema(field) : { type: "string" },
          comment,
          deep,
        ),
      );
      continue;
    }
    const before = pattern.segments[i - 1];
    const base =
      before?.kind === "literal" && i > variable.start
        ? singular(before.value)
        : `${variable.fieldPath}_${i - variable.start + 1}`;
    const name = unique(identifier(base));
    parts.push(`{${name}}`);
    const template = variableTemplate(route, variable.start, variable.end, i, name);
    parameters.push(
      pathParameter(
        name,
        { type: "string" },
        `Sets \`${variable.fieldPath}\` to \`${template}\`${deep ? " (may contain `/`)" : ""}`,
        deep,
      ),
    );
  }
  const verb = pattern.verb === undefined ? "" : `:${encodeLiteral(pattern.verb)}`;
  return { path: `/${parts.join("/")}${verb}`, parameters };
}

function pathParameter(
  name: string,
  schema: JsonSchema,
  description: string | undefined,
  multiSegment: boolean,
): Parameter {
  const p: Parameter = { name, in: "path", required: true, schema };
  if (description) p.description = description;
  if (multiSegment) p["x-multi-segment"] = true;
  return p;
}

/** The variable's value spelled with the current segment as `{name}`, e.g. `shelves/{shelf}`. */
function variableTemplate(
  route: RouteInfo,
  start: number,
  end: number,
  current: number,
  name: string,
): string {
  const all = route.pattern.segments;
  const segments = all.slice(start, variableEnd({ fieldPath: "", start, end }, all.length));
  return segments
    .map((s, k) => {
      if (s.kind === "literal") return s.value;
      return start + k === current ? `{${name}}` : s.kind === "deep" ? "**" : "*";
    })
    .join("/");
}

/** `shelves` → `shelf`, `books` → `book`, `policies` → `policy`. */
export function singular(word: string): string {
  if (/ies$/.test(word)) return `${word.slice(0, -3)}y`;
  if (/lves$/.test(word)) return `${word.slice(0, -3)}f`;
  if (/(ss|sh|ch|x)es$/.test(word)) return word.slice(0, -2);
  if (/[^s]s$/.test(word)) return word.slice(0, -1);
  return `${word}_id`;
}

function identifier(s: string): string {
  return s.replace(/[^A-Za-z0-9_]/g, "_");
}

function encodeLiteral(value: string): string {
  return encodeURIComponent(value).replace(/%3A/g, ":").replace(/%40/g, "@");
}

/** The field a dotted proto-name path leads to (the plugin validated the path). */
export function fieldAt(message: DescMessage, path: string): DescField | undefined {
  let current: DescMessage | undefined = message;
  let field: DescField | undefined;
  for (const name of path.split(".")) {
    field = current?.fields.find((f) => f.name === name);
    current = field?.fieldKind === "message" ? field.message : undefined;
  }
  return field;
}

/** Nesting depth of `a.b.c` query parameters followed into message fields. */
const maxQueryDepth = 4;

/**
 * The query parameters the gateway reads for a route: every field not bound in
 * the path or the body (none with `body: "*"`), nested messages as `a.b`,
 * repeated fields by repetition, maps as `labels[key]` (`deepObject`).
 * Repeated and map fields of messages cannot be set from the query and are
 * left out, as are recursive paths beyond a message already on the path.
 */
export function queryParameters(route: RouteInfo, schemas: SchemaSet): Parameter[] {
  if (route.body === "*") return [];
  const excluded = new Set(route.pattern.variables.map((v) => v.fieldPath));
  if (route.body !== "") excluded.add(route.body);
  const parameters: Parameter[] = [];
  const walk = (message: DescMessage, prefix: string, namePrefix: string, seen: string[]) => {
    for (const field of schemas.fields(message)) {
      const protoPath = `${prefix}${field.name}`;
      if (excluded.has(protoPath)) continue;
      const name = `${namePrefix}${schemas.jsonName(field)}`;
      const comment = schemas.parameterDescription(field);
      const add = (schema: JsonSchema, extra: JsonSchema = {}) => {
        const p: Parameter = { name, in: "query", schema, ...extra };
        if (prefix === "" && schemas.required(field)) p.required = true;
        if (comment) p.description = comment;
        if (field.deprecated) p.deprecated = true;
        parameters.push(p);
      };
      switch (field.fieldKind) {
        case "scalar":
        case "enum":
          add(schemas.parameterSchema(field));
          break;
        case "list":
          if (field.listKind !== "message") add(schemas.parameterSchema(field), { explode: true });
          break;
        case "map":
          if (field.mapKind !== "message") {
            add(schemas.field(field), { style: "deepObject", explode: true });
          }
          break;
        case "message": {
          if (field.message.typeName === "google.protobuf.Any") break;
          if (wellKnownSchema(field.message) !== undefined) {
            add(schemas.field(field));
            break;
          }
          if (seen.includes(field.message.typeName) || seen.length >= maxQueryDepth) break;
          walk(field.message, `${protoPath}.`, `${name}.`, [...seen, field.message.typeName]);
          break;
        }
      }
    }
  };
  walk(route.method.input, "", "", [route.method.input.typeName]);
  return parameters;
}
