import { type DescField, type DescMessage, ScalarType } from "@bufbuild/protobuf";
import type { JsonSchema, SchemaSet } from "./schemas.js";

const HTTP_BODY = "google.api.HttpBody";

/**
 * The form media types of a request body whose target is `message` (the
 * request for `body: "*"`, the body field's message otherwise), as the
 * runtime reads them: each form key is a field path, by the query-parameter
 * rules. `application/x-www-form-urlencoded` lists the fields a form value
 * can set (scalars, enums, their lists and maps, well-known types with a
 * string form; nested messages through dotted keys), under the names the
 * JSON schema uses (the runtime takes proto and JSON names); `multipart/form-data`
 * lists those too, and every singular `bytes` and `google.api.HttpBody`
 * field as a file part (`format: binary`) with its `encoding`. `exclude`
 * names the fields bound in the path. On a client-streaming method the file
 * goes to the backend in chunk messages.
 */
export function formMedia(
  message: DescMessage,
  schemas: SchemaSet,
  exclude: ReadonlySet<string>,
  streamed: boolean,
): Record<string, JsonSchema> {
  const text: Record<string, JsonSchema> = {};
  const files: Record<string, JsonSchema> = {};
  const encoding: Record<string, JsonSchema> = {};
  for (const field of schemas.fields(message)) {
    if (exclude.has(field.name)) continue;
    const key = schemas.jsonName(field);
    if (isFile(field)) {
      const httpBody = field.fieldKind === "message";
      files[key] = {
        type: "string",
        format: "binary",
        description: httpBody
          ? `A file part: its bytes and Content-Type become the google.api.HttpBody${streamed ? ", sent to the backend in chunk messages" : ""}.`
          : `A file part: its bytes${streamed ? ", sent to the backend in chunk messages" : ""}.`,
      };
      encoding[key] = { contentType: httpBody ? "*/*" : "application/octet-stream" };
      continue;
    }
    if (field.fieldKind === "message" && !hasStringForm(field.message)) continue;
    text[key] = schemas.property(field);
  }
  const media: Record<string, JsonSchema> = {};
  if (Object.keys(text).length > 0 || Object.keys(files).length === 0) {
    media["application/x-www-form-urlencoded"] = {
      schema: { type: "object", properties: text },
    };
  }
  const multipart: JsonSchema = {
    schema: { type: "object", properties: { ...text, ...files } },
  };
  if (Object.keys(encoding).length > 0) multipart.encoding = encoding;
  media["multipart/form-data"] = multipart;
  return media;
}

function isFile(field: DescField): boolean {
  if (field.fieldKind === "scalar") return field.scalar === ScalarType.BYTES;
  return field.fieldKind === "message" && field.message.typeName === HTTP_BODY;
}

/** Well-known types a query or form value can set as a whole. */
function hasStringForm(message: DescMessage): boolean {
  return (
    message.typeName.startsWith("google.protobuf.") &&
    !["google.protobuf.Struct", "google.protobuf.ListValue", "google.protobuf.Any"].includes(
      message.typeName,
    )
  );
}
