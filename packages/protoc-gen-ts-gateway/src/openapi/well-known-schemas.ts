import { type DescMessage, ScalarType } from "@bufbuild/protobuf";
import { isWrapperDesc } from "@bufbuild/protobuf/wkt";
import type { JsonSchema } from "./schemas.js";

const int64: JsonSchema = { type: "string", format: "int64", pattern: "^-?[0-9]+$" };
const uint64: JsonSchema = { type: "string", format: "uint64", pattern: "^[0-9]+$" };
const bytes: JsonSchema = { type: "string", format: "byte", contentEncoding: "base64" };
/** proto3 JSON writes non-finite floats as these strings. */
const nonFinite: JsonSchema = { type: "string", enum: ["NaN", "Infinity", "-Infinity"] };

/** The proto3 JSON form of a scalar, as protobuf-es (and so the gateway) writes and reads it. */
export function scalarSchema(scalar: ScalarType): JsonSchema {
  switch (scalar) {
    case ScalarType.DOUBLE:
      return { anyOf: [{ type: "number", format: "double" }, nonFinite] };
    case ScalarType.FLOAT:
      return { anyOf: [{ type: "number", format: "float" }, nonFinite] };
    case ScalarType.INT64:
    case ScalarType.SINT64:
    case ScalarType.SFIXED64:
      return { ...int64 };
    case ScalarType.UINT64:
    case ScalarType.FIXED64:
      return { ...uint64 };
    case ScalarType.INT32:
    case ScalarType.SINT32:
    case ScalarType.SFIXED32:
      return { type: "integer", format: "int32" };
    case ScalarType.UINT32:
    case ScalarType.FIXED32:
      return { type: "integer", format: "uint32", minimum: 0 };
    case ScalarType.BOOL:
      return { type: "boolean" };
    case ScalarType.STRING:
      return { type: "string" };
    case ScalarType.BYTES:
      return { ...bytes };
  }
}

/**
 * Well-known types whose JSON form is not an object of their fields, or
 * undefined for any other message. These are the types the query string
 * accepts as one value too.
 */
export function wellKnownSchema(desc: DescMessage): JsonSchema | undefined {
  // Wrapper types: their scalar, or `null`.
  if (isWrapperDesc(desc))
    return { anyOf: [scalarSchema(desc.fields[0].scalar), { type: "null" }] };
  switch (desc.typeName) {
    case "google.protobuf.Timestamp":
      return { type: "string", format: "date-time", description: "RFC 3339, in UTC (`Z`)" };
    case "google.protobuf.Duration":
      return {
        type: "string",
        pattern: "^-?[0-9]+(\\.[0-9]{1,9})?s$",
        description: "Seconds with an `s` suffix, e.g. `1.5s`",
      };
    case "google.protobuf.FieldMask":
      return { type: "string", description: "Field paths, comma-separated, e.g. `title,read`" };
    case "google.protobuf.Struct":
      return { type: "object", additionalProperties: true };
    case "google.protobuf.Value":
      return { description: "Any JSON value" };
    case "google.protobuf.ListValue":
      return { type: "array", items: true };
    case "google.protobuf.Any":
      return {
        type: "object",
        description: "A message of the type its `@type` URL names, with that message's fields",
        properties: { "@type": { type: "string" } },
        required: ["@type"],
        additionalProperties: true,
      };
    default:
      return undefined;
  }
}
