import { toJson } from "@bufbuild/protobuf";
import { type Value, ValueSchema } from "@bufbuild/protobuf/wkt";
import {
  type EnumSchema,
  type ExternalDocumentation,
  type Header,
  type HeaderParameter,
  HeaderParameter_Type,
  type Info,
  type JSONSchema,
  JSONSchema_JSONSchemaSimpleTypes,
  type Response,
  type Schema,
  Scheme,
  type SecurityRequirement,
  type SecurityScheme,
  SecurityScheme_Flow,
  SecurityScheme_In,
  SecurityScheme_Type,
  type Tag,
} from "../proto/protoc-gen-openapiv2/options/openapiv2_pb.js";
import type { JsonSchema } from "./schemas.js";

// grpc-gateway's protoc-gen-openapiv2 options (OpenAPI v2 objects) in their
// OpenAPI 3.1 form, as protoc-gen-openapiv2 carries them into its v2 document.
// Pure: no descriptors, no document; a `$ref` to a proto type is resolved by
// the caller's `ResolveRef`.

/** Turns a `json_schema.ref` (`.pkg.Message` or `#/definitions/Name`) into a schema. */
export type ResolveRef = (ref: string) => JsonSchema;

/** `extensions` (`x-…` keys) as plain JSON. */
export function extensionsOf(extensions: { [key: string]: Value }): JsonSchema {
  const out: JsonSchema = {};
  for (const [key, value] of Object.entries(extensions)) out[key] = toJson(ValueSchema, value);
  return out;
}

/** An annotation's string that holds JSON (`example`, `default`): the value, else the text itself. */
export function jsonText(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export function externalDocs(docs: ExternalDocumentation): JsonSchema {
  return compact({ description: docs.description, url: docs.url });
}

/** `info`: only what the annotation sets, to merge over the generated title and version. */
export function info(v2: Info): JsonSchema {
  const out = compact({
    title: v2.title,
    description: v2.description,
    termsOfService: v2.termsOfService,
    version: v2.version,
  });
  if (v2.contact !== undefined) {
    out.contact = compact({ name: v2.contact.name, url: v2.contact.url, email: v2.contact.email });
  }
  if (v2.license !== undefined)
    out.license = compact({ name: v2.license.name, url: v2.license.url });
  return { ...out, ...extensionsOf(v2.extensions) };
}

const schemeNames: Record<Scheme, string | undefined> = {
  [Scheme.UNKNOWN]: undefined,
  [Scheme.HTTP]: "http",
  [Scheme.HTTPS]: "https",
  [Scheme.WS]: "ws",
  [Scheme.WSS]: "wss",
};

/**
 * `servers` from `host`, `base_path` and `schemes`: one server per scheme
 * (`https://host/base`); without schemes a scheme-relative `//host/base`;
 * without a host the base path alone (relative to where the document is).
 */
export function servers(host: string, basePath: string, schemes: readonly Scheme[]): JsonSchema[] {
  const base = basePath === "/" ? "" : basePath;
  if (host === "") return base === "" ? [] : [{ url: base }];
  const names = schemes.map((s) => schemeNames[s]).filter((s) => s !== undefined);
  if (names.length === 0) return [{ url: `//${host}${base}` }];
  return names.map((scheme) => ({ url: `${scheme}://${host}${base}` }));
}

/**
 * A v2 security definition as a 3.1 security scheme (basic → http/basic,
 * oauth2 flow → `flows`); undefined without a type, as protoc-gen-openapiv2
 * leaves such a definition out.
 */
export function securityScheme(v2: SecurityScheme): JsonSchema | undefined {
  const out: JsonSchema = {};
  switch (v2.type) {
    case SecurityScheme_Type.BASIC:
      Object.assign(out, { type: "http", scheme: "basic" });
      break;
    case SecurityScheme_Type.API_KEY:
      Object.assign(out, {
        type: "apiKey",
        name: v2.name,
        in: v2.in === SecurityScheme_In.QUERY ? "query" : "header",
      });
      break;
    case SecurityScheme_Type.OAUTH2: {
      const scopes = { ...(v2.scopes?.scope ?? {}) };
      const authorizationUrl = v2.authorizationUrl;
      const tokenUrl = v2.tokenUrl;
      const flows: JsonSchema = {};
      switch (v2.flow) {
        case SecurityScheme_Flow.IMPLICIT:
          flows.implicit = { authorizationUrl, scopes };
          break;
        case SecurityScheme_Flow.PASSWORD:
          flows.password = { tokenUrl, scopes };
          break;
        case SecurityScheme_Flow.APPLICATION:
          flows.clientCredentials = { tokenUrl, scopes };
          break;
        default:
          flows.authorizationCode = { authorizationUrl, tokenUrl, scopes };
          break;
      }
      Object.assign(out, { type: "oauth2", flows });
      break;
    }
    default:
      return undefined;
  }
  if (v2.description !== "") out.description = v2.description;
  return { ...out, ...extensionsOf(v2.extensions) };
}

/** `security`: one requirement object per entry, `{}` for "no authentication". */
export function security(v2: readonly SecurityRequirement[]): JsonSchema[] {
  return v2.map((requirement) =>
    Object.fromEntries(
      Object.entries(requirement.securityRequirement).map(([name, value]) => [
        name,
        [...value.scope],
      ]),
    ),
  );
}

export function tag(v2: Tag): JsonSchema {
  const out: JsonSchema = compact({ name: v2.name, description: v2.description });
  if (v2.externalDocs !== undefined) out.externalDocs = externalDocs(v2.externalDocs);
  return { ...out, ...extensionsOf(v2.extensions) };
}

/**
 * A v2 response as a 3.1 response: its schema under each media type the
 * operation produces, `examples` (by media type, JSON text) as each media
 * type's `example`, headers with their schema.
 */
export function response(
  v2: Response,
  produces: readonly string[],
  resolve: ResolveRef,
): JsonSchema {
  const out: JsonSchema = { description: v2.description };
  const headers = Object.entries(v2.headers);
  if (headers.length > 0) {
    out.headers = Object.fromEntries(headers.map(([name, h]) => [name, header(h)]));
  }
  const schema =
    v2.schema?.jsonSchema === undefined ? undefined : jsonSchema(v2.schema.jsonSchema, resolve);
  const examples = Object.entries(v2.examples);
  if (schema !== undefined || examples.length > 0) {
    const content: JsonSchema = {};
    const types = [...new Set([...produces, ...examples.map(([type]) => type)])];
    for (const type of types) {
      const media: JsonSchema = {};
      if (schema !== undefined) media.schema = schema;
      const example = v2.examples[type];
      if (example !== undefined) media.example = jsonText(example);
      content[type] = media;
    }
    out.content = content;
  }
  return { ...out, ...extensionsOf(v2.extensions) };
}

function header(v2: Header): JsonSchema {
  const schema: JsonSchema = compact({ type: v2.type, format: v2.format, pattern: v2.pattern });
  if (v2.default !== "") schema.default = jsonText(v2.default);
  return { ...compact({ description: v2.description }), schema };
}

const headerTypes: Record<HeaderParameter_Type, string | undefined> = {
  [HeaderParameter_Type.UNKNOWN]: undefined,
  [HeaderParameter_Type.STRING]: "string",
  [HeaderParameter_Type.NUMBER]: "number",
  [HeaderParameter_Type.INTEGER]: "integer",
  [HeaderParameter_Type.BOOLEAN]: "boolean",
};

/** `parameters.headers`: header parameters of an operation. */
export function headerParameter(v2: HeaderParameter): JsonSchema {
  const schema = compact({ type: headerTypes[v2.type] ?? "", format: v2.format });
  const out: JsonSchema = { name: v2.name, in: "header" };
  if (v2.description !== "") out.description = v2.description;
  if (v2.required) out.required = true;
  out.schema = schema;
  return out;
}

const simpleTypes: Record<JSONSchema_JSONSchemaSimpleTypes, string | undefined> = {
  [JSONSchema_JSONSchemaSimpleTypes.UNKNOWN]: undefined,
  [JSONSchema_JSONSchemaSimpleTypes.ARRAY]: "array",
  [JSONSchema_JSONSchemaSimpleTypes.BOOLEAN]: "boolean",
  [JSONSchema_JSONSchemaSimpleTypes.INTEGER]: "integer",
  [JSONSchema_JSONSchemaSimpleTypes.NULL]: "null",
  [JSONSchema_JSONSchemaSimpleTypes.NUMBER]: "number",
  [JSONSchema_JSONSchemaSimpleTypes.OBJECT]: "object",
  [JSONSchema_JSONSchemaSimpleTypes.STRING]: "string",
};

/**
 * The JSON Schema keywords an `openapiv2_field` (or a message's
 * `json_schema`) sets, in 2020-12 spelling: a boolean `exclusiveMaximum`
 * becomes the bound itself, `example` (JSON text) `examples: [value]`… The
 * `required` list is not among them: it names fields of the message that
 * holds the schema (see the callers).
 */
export function jsonSchema(v2: JSONSchema, resolve: ResolveRef): JsonSchema {
  const out: JsonSchema = v2.ref === "" ? {} : { ...resolve(v2.ref) };
  const types = v2.type.map((t) => simpleTypes[t]).filter((t) => t !== undefined);
  if (types.length > 0) out.type = types.length === 1 ? types[0] : types;
  if (v2.format !== "") out.format = v2.format;
  if (v2.title !== "") out.title = v2.title;
  if (v2.description !== "") out.description = v2.description;
  if (v2.default !== "") out.default = jsonText(v2.default);
  if (v2.example !== "") out.example = jsonText(v2.example);
  if (v2.readOnly) out.readOnly = true;
  if (v2.multipleOf !== 0) out.multipleOf = v2.multipleOf;
  if (v2.maximum !== 0 || v2.exclusiveMaximum) {
    if (v2.exclusiveMaximum) out.exclusiveMaximum = v2.maximum;
    else out.maximum = v2.maximum;
  }
  if (v2.minimum !== 0 || v2.exclusiveMinimum) {
    if (v2.exclusiveMinimum) out.exclusiveMinimum = v2.minimum;
    else out.minimum = v2.minimum;
  }
  if (v2.maxLength !== 0n) out.maxLength = Number(v2.maxLength);
  if (v2.minLength !== 0n) out.minLength = Number(v2.minLength);
  if (v2.pattern !== "") out.pattern = v2.pattern;
  if (v2.maxItems !== 0n) out.maxItems = Number(v2.maxItems);
  if (v2.minItems !== 0n) out.minItems = Number(v2.minItems);
  if (v2.uniqueItems) out.uniqueItems = true;
  if (v2.maxProperties !== 0n) out.maxProperties = Number(v2.maxProperties);
  if (v2.minProperties !== 0n) out.minProperties = Number(v2.minProperties);
  if (v2.enum.length > 0) out.enum = [...v2.enum];
  if (v2.fieldConfiguration?.deprecated) out.deprecated = true;
  return { ...out, ...extensionsOf(v2.extensions) };
}

/** The object without its empty-string values. */
function compact(values: Record<string, string>): JsonSchema {
  return Object.fromEntries(Object.entries(values).filter(([, v]) => v !== ""));
}

/** A message's `openapiv2_schema`: its `json_schema` keywords (not `required`) and the Schema's own fields. */
export function schemaOption(v2: Schema, resolve: ResolveRef): JsonSchema {
  const out: JsonSchema = {};
  if (v2.jsonSchema !== undefined) {
    const { required: _, ...keywords } = jsonSchema(v2.jsonSchema, resolve);
    Object.assign(out, keywords);
  }
  if (v2.discriminator !== "") out.discriminator = { propertyName: v2.discriminator };
  if (v2.readOnly) out.readOnly = true;
  if (v2.externalDocs !== undefined) out.externalDocs = externalDocs(v2.externalDocs);
  if (v2.example !== "") out.example = jsonText(v2.example);
  return out;
}

/** An enum's schema with its `openapiv2_enum` (if any) over it. */
export function enumOption(v2: EnumSchema | undefined, schema: JsonSchema): JsonSchema {
  if (v2 === undefined) return schema;
  const out: JsonSchema = { ...schema };
  if (v2.title !== "") out.title = v2.title;
  if (v2.description !== "") out.description = v2.description;
  if (v2.default !== "") out.default = v2.default;
  if (v2.example !== "") out.example = jsonText(v2.example);
  if (v2.readOnly) out.readOnly = true;
  if (v2.externalDocs !== undefined) out.externalDocs = externalDocs(v2.externalDocs);
  return { ...out, ...extensionsOf(v2.extensions) };
}
