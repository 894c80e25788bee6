import {
  type DescEnum,
  type DescEnumValue,
  type DescField,
  type DescMessage,
  getOption,
  hasOption,
  ScalarType,
} from "@bufbuild/protobuf";
import { FieldBehavior, field_behavior } from "../proto/google/api/field_behavior_pb.js";
import { OpenApiV2Annotations } from "./annotations.js";
import { type CommentText, commentText } from "./comment-text.js";
import * as v2 from "./openapiv2.js";
import { celExtension, fieldRuleKeywords, messageCel, ZeroValueRules } from "./validation-rules.js";
import { isVisible } from "./visibility.js";
import { scalarSchema, wellKnownSchema } from "./well-known-schemas.js";

/** A JSON Schema (2020-12, the dialect of OpenAPI 3.1) as plain data. */
export type JsonSchema = { [key: string]: unknown };

/** The JSON options the gateway writes with (the mux options of the same names). */
export interface SchemaJsonOptions {
  readonly useProtoFieldName: boolean;
  readonly enumAsInteger: boolean;
}

/**
 * What shapes the schemas besides the JSON options: grpc-gateway's openapiv2
 * annotations, the comment policy, the visibility selectors and the switches
 * `openapi_proto3_optional_nullable` and `openapi_omit_enum_default_value`.
 */
export interface SchemaShape {
  readonly annotations: OpenApiV2Annotations;
  readonly comment: CommentText;
  readonly selectors: ReadonlySet<string>;
  readonly proto3OptionalNullable: boolean;
  readonly omitEnumDefaultValue: boolean;
  /** The message or enum a `json_schema.ref` of `.pkg.Name` names. */
  readonly lookup: (typeName: string) => DescMessage | DescEnum | undefined;
}

/** No annotations, every comment, nothing restricted shown. */
export const plainShape: SchemaShape = {
  annotations: new OpenApiV2Annotations(),
  comment: commentText(false, false),
  selectors: new Set(),
  proto3OptionalNullable: false,
  omitEnumDefaultValue: false,
  lookup: () => undefined,
};

/** `$ref` to a component schema. */
export function schemaRef(name: string): JsonSchema {
  return { $ref: `#/components/schemas/${name}` };
}

/**
 * The component schemas of one OpenAPI document: every message and enum
 * reached from its operations, named by full proto name and referenced with
 * `$ref`, so recursive messages are plain references.
 */
export class SchemaSet {
  readonly #json: SchemaJsonOptions;
  readonly #components = new Map<string, JsonSchema>();
  readonly #zero = new ZeroValueRules();
  readonly #shape: SchemaShape;
  /**
   * The schema a `json_schema.ref` of an annotation names: a proto type
   * (`.pkg.Message`) by its component, a v2 `#/definitions/Name` as
   * `#/components/schemas/Name`, anything else as it is.
   */
  readonly resolveRef: v2.ResolveRef = (ref) => {
    if (ref.startsWith(".")) {
      const type = this.#shape.lookup(ref.slice(1));
      if (type?.kind === "message") return this.message(type);
      if (type?.kind === "enum") return this.enum(type);
    }
    return { $ref: ref.replace(/^#\/definitions\//, "#/components/schemas/") };
  };

  constructor(json: SchemaJsonOptions, shape: SchemaShape = plainShape) {
    this.#json = json;
    this.#shape = shape;
  }

  /** The document's grpc-gateway openapiv2 annotations. */
  get annotations(): OpenApiV2Annotations {
    return this.#shape.annotations;
  }

  /** An element's comment, as the comment policy shows it. */
  comment(desc: Parameters<CommentText>[0]): string | undefined {
    return this.#shape.comment(desc);
  }

  /** The fields of a message the document shows (`google.api.visibility`). */
  fields(desc: DescMessage): DescField[] {
    return desc.fields.filter((f) => isVisible(f, this.#shape.selectors));
  }

  /** A path parameter's name for a field: its `field_configuration.path_param_name`, else `fallback`. */
  pathParamName(field: DescField, fallback: string): string {
    const name = this.#shape.annotations.field(field)?.fieldConfiguration?.pathParamName ?? "";
    return name === "" ? fallback : name;
  }

  /** The components collected so far, sorted by name. */
  components(): Record<string, JsonSchema> {
    return Object.fromEntries([...this.#components].sort(([a], [b]) => (a < b ? -1 : 1)));
  }

  /** Adds a hand-written component (e.g. `google.rpc.Status`) and returns its `$ref`. */
  define(name: string, build: () => JsonSchema): JsonSchema {
    if (!this.#components.has(name)) this.#components.set(name, build());
    return schemaRef(name);
  }

  /** The field's name in JSON, as the gateway writes it. */
  jsonName(field: DescField): string {
    return this.#json.useProtoFieldName ? field.name : field.jsonName;
  }

  /** A message's schema: inline for the well-known types with a special form, else a `$ref`. */
  message(desc: DescMessage): JsonSchema {
    const special = wellKnownSchema(desc);
    if (special !== undefined) return special;
    if (!this.#components.has(desc.typeName)) {
      this.#components.set(desc.typeName, {}); // placeholder: recursion ends at the $ref
      this.#components.set(desc.typeName, this.#messageObject(desc));
    }
    return schemaRef(desc.typeName);
  }

  /** An enum's schema, as a `$ref`: names (the gateway writes them) or numbers. */
  enum(desc: DescEnum): JsonSchema {
    if (!this.#components.has(desc.typeName)) {
      const values = desc.values.filter(
        (v) =>
          isVisible(v, this.#shape.selectors) &&
          !(this.#shape.omitEnumDefaultValue && v.number === 0),
      );
      const names = values.map((v) => v.name);
      const numbers = values.map((v) => v.number);
      const byName: JsonSchema = { type: "string", enum: names };
      const byNumber: JsonSchema = { type: "integer", enum: numbers };
      const schema: JsonSchema = {
        anyOf: this.#json.enumAsInteger ? [byNumber, byName] : [byName, byNumber],
      };
      const described = describeValues(values, this.#shape.comment);
      if (described !== "") schema.description = described;
      if (desc.deprecated) schema.deprecated = true;
      this.#components.set(
        desc.typeName,
        v2.enumOption(
          this.#shape.annotations.enum(desc),
          withComment(schema, this.#shape.comment(desc)),
        ),
      );
    }
    return schemaRef(desc.typeName);
  }

  /**
   * Whether a request must send the field: `google.api.field_behavior =
   * REQUIRED`, or protovalidate rules that refuse its zero value (which
   * proto3 JSON leaves out).
   */
  required(field: DescField): boolean {
    const named = this.#shape.annotations.field(field)?.required ?? [];
    return (
      fieldBehavior(field).includes(FieldBehavior.REQUIRED) ||
      named.includes(field.name) ||
      named.includes(field.jsonName) ||
      this.#zero.refusesZero(field)
    );
  }

  /** The schema of a field's value (a list or map of its elements included), with its protovalidate rules. */
  field(field: DescField): JsonSchema {
    return fieldRuleKeywords(field, this.#plainField(field));
  }

  #plainField(field: DescField): JsonSchema {
    let schema: JsonSchema;
    switch (field.fieldKind) {
      case "scalar":
        schema = scalarSchema(field.scalar);
        break;
      case "enum":
        schema = this.enum(field.enum);
        break;
      case "message":
        schema = this.message(field.message);
        break;
      case "list":
        schema = { type: "array", items: this.#element(field.listKind, field) };
        break;
      case "map":
        schema = {
          type: "object",
          additionalProperties: this.#element(field.mapKind, field),
        };
        if (field.mapKey !== ScalarType.STRING) {
          schema.propertyNames = { pattern: mapKeyPattern(field.mapKey) };
        }
        break;
    }
    return schema;
  }

  /**
   * A field's schema as a path or query parameter's: with its
   * `openapiv2_field` keywords, as grpc-gateway documents its parameters
   * (the description goes on the parameter: {@link parameterDescription}).
   */
  parameterSchema(field: DescField): JsonSchema {
    const schema = this.field(field);
    const option = this.#shape.annotations.field(field);
    if (option === undefined) return schema;
    const { description: _, title: __, ...keywords } = v2.jsonSchema(option, this.resolveRef);
    if (Object.keys(keywords).length === 0) return schema;
    const plainRef = "$ref" in schema && Object.keys(schema).length === 1;
    return plainRef ? { allOf: [schema], ...keywords } : { ...schema, ...keywords };
  }

  /** A parameter's description: the field's `openapiv2_field` description, else its comment. */
  parameterDescription(field: DescField): string | undefined {
    const described = this.#shape.annotations.field(field)?.description ?? "";
    return described === "" ? this.comment(field) : described;
  }

  /** A field's schema with its comment, deprecation and field_behavior annotations. */
  property(field: DescField): JsonSchema {
    let schema = this.field(field);
    if (this.#shape.proto3OptionalNullable && field.proto.proto3Optional === true) {
      schema = { anyOf: [schema, { type: "null" }] };
    }
    const annotated: JsonSchema =
      "$ref" in schema && Object.keys(schema).length === 1 ? { allOf: [schema] } : { ...schema };
    const comment = this.#shape.comment(field);
    if (comment) annotated.description = comment;
    const option = this.#shape.annotations.field(field);
    if (option !== undefined) Object.assign(annotated, v2.jsonSchema(option, this.resolveRef));
    if (field.deprecated) annotated.deprecated = true;
    const behavior = fieldBehavior(field);
    if (behavior.includes(FieldBehavior.OUTPUT_ONLY)) annotated.readOnly = true;
    if (behavior.includes(FieldBehavior.INPUT_ONLY)) annotated.writeOnly = true;
    // A plain $ref with nothing beside it stays a plain $ref.
    return Object.keys(annotated).length === 1 && "allOf" in annotated ? schema : annotated;
  }

  #element(kind: "scalar" | "enum" | "message", field: DescField): JsonSchema {
    if (kind === "scalar" && field.scalar !== undefined) return scalarSchema(field.scalar);
    if (kind === "enum" && field.enum !== undefined) return this.enum(field.enum);
    if (kind === "message" && field.message !== undefined) return this.message(field.message);
    return {};
  }

  #messageObject(desc: DescMessage): JsonSchema {
    const properties: Record<string, JsonSchema> = {};
    const required: string[] = [];
    const fields = this.fields(desc);
    const option = this.#shape.annotations.message(desc);
    // `json_schema.required` names fields by proto or JSON name, or names that are no field.
    const named = option?.jsonSchema?.required ?? [];
    for (const field of fields) {
      const name = this.jsonName(field);
      properties[name] = this.property(field);
      const listed = named.includes(field.name) || named.includes(field.jsonName);
      if (listed || this.required(field)) required.push(name);
    }
    const fieldNames = new Set(desc.fields.flatMap((f) => [f.name, f.jsonName]));
    required.push(...named.filter((n) => !fieldNames.has(n)));
    const schema: JsonSchema = { type: "object", properties };
    if (required.length > 0) schema.required = [...new Set(required)];
    // proto3 JSON allows at most one member of a oneof: exactly one branch
    // holds (one member set, or none).
    const oneofs = desc.oneofs
      .map((o) => ({ ...o, fields: o.fields.filter((f) => fields.includes(f)) }))
      .filter((o) => o.fields.length > 1 && !isSyntheticOneof(o));
    const conditions = oneofs.map((oneof) => {
      const names = oneof.fields.map((f) => this.jsonName(f));
      return {
        oneOf: [
          ...names.map((n) => ({ required: [n] })),
          { not: { anyOf: names.map((n) => ({ required: [n] })) } },
        ],
      };
    });
    if (conditions.length === 1) Object.assign(schema, conditions[0]);
    if (conditions.length > 1) schema.allOf = conditions;
    const notes = oneofs.map(
      (o) => `At most one of ${o.fields.map((f) => `\`${this.jsonName(f)}\``).join(", ")} is set.`,
    );
    const comment = this.#shape.comment(desc);
    const description = [comment, ...notes].filter((s) => s !== undefined && s !== "").join("\n\n");
    if (description !== "") schema.description = description;
    if (desc.deprecated) schema.deprecated = true;
    const cel = messageCel(desc);
    if (cel.length > 0) schema[celExtension] = cel;
    if (option !== undefined) Object.assign(schema, v2.schemaOption(option, this.resolveRef));
    return schema;
  }
}

function isSyntheticOneof(oneof: { fields: readonly DescField[] }): boolean {
  return oneof.fields.length === 1 && oneof.fields[0]?.proto.proto3Optional === true;
}

/** The `google.api.field_behavior` values of a field. */
export function fieldBehavior(field: DescField): readonly FieldBehavior[] {
  return hasOption(field, field_behavior) ? getOption(field, field_behavior) : [];
}

function mapKeyPattern(key: ScalarType): string {
  switch (key) {
    case ScalarType.BOOL:
      return "^(true|false)$";
    case ScalarType.UINT32:
    case ScalarType.FIXED32:
    case ScalarType.UINT64:
    case ScalarType.FIXED64:
      return "^[0-9]+$";
    default:
      return "^-?[0-9]+$";
  }
}

function withComment(schema: JsonSchema, comment: string | undefined): JsonSchema {
  if (!comment) return schema;
  const rest = typeof schema.description === "string" ? `\n\n${schema.description}` : "";
  return { ...schema, description: `${comment}${rest}` };
}

/** `- NAME (n): comment` per value that has a comment. */
function describeValues(values: readonly DescEnumValue[], text: CommentText): string {
  const lines: string[] = [];
  for (const value of values) {
    const comment = text(value)?.replace(/\s+/g, " ");
    if (comment) lines.push(`- \`${value.name}\` (${value.number}): ${comment}`);
  }
  return lines.join("\n");
}
