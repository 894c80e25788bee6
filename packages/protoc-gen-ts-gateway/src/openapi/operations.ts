import type { DescMethod } from "@bufbuild/protobuf";
import { getComments } from "../comments.js";
import type { RouteInfo } from "../http-rules.js";
import { errorResponses, statusSchema } from "./errors.js";
import { formMedia } from "./form-bodies.js";
import { fieldAt, openApiPath, queryParameters } from "./parameters.js";
import type { JsonSchema, SchemaSet } from "./schemas.js";

const HTTP_BODY = "google.api.HttpBody";

/** One route as an OpenAPI operation, with the path and method it goes under. */
export interface OperationEntry {
  readonly path: string;
  /** Lower-case HTTP method (`get`), the key in the path item. */
  readonly method: string;
  readonly operation: JsonSchema;
}

/** The OpenAPI operation of one route. */
export function routeOperation(
  route: RouteInfo,
  operationId: string,
  schemas: SchemaSet,
): OperationEntry {
  const { method } = route;
  const path = openApiPath(route, schemas);
  const parameters = [...path.parameters, ...queryParameters(route, schemas)];
  const operation: JsonSchema = { operationId, tags: [method.parent.name] };
  Object.assign(operation, commentParts(method));
  if (method.deprecated) operation.deprecated = true;
  if (parameters.length > 0) operation.parameters = parameters;
  const request = requestBody(route, schemas);
  if (request !== undefined) operation.requestBody = request;
  const rawBody = request !== undefined && "*/*" in (request.content as object);
  operation.responses = {
    // A backend may answer any 2xx (`x-http-code`), e.g. 201 on create.
    "2XX": successResponse(route, schemas),
    ...errorResponses({ jsonBody: request !== undefined && !rawBody, rawBody }),
  };
  operation["x-grpc-method"] = `${method.parent.typeName}.${method.name}`;
  operation["x-http-template"] = route.path;
  if (method.methodKind !== "unary") {
    operation["x-websocket"] = true;
    const note =
      "Also a WebSocket endpoint on the same path: one JSON message per text frame, an empty frame half-closes; the socket closes with 1000, or 4000 + the gRPC code.";
    operation.description = [operation.description, note].filter(Boolean).join("\n\n");
  }
  return { path: path.path, method: route.httpMethod.toLowerCase(), operation };
}

/** The first paragraph of the method's comment as summary, the rest as description. */
function commentParts(method: DescMethod): { summary?: string; description?: string } {
  const comment = getComments(method).leading?.trim();
  if (!comment) return {};
  const [first = "", ...rest] = comment.split(/\n\s*\n/);
  const parts: { summary?: string; description?: string } = {
    summary: first.replace(/\s*\n\s*/g, " "),
  };
  if (rest.length > 0) parts.description = rest.map((p) => p.trim()).join("\n\n");
  return parts;
}

function requestBody(route: RouteInfo, schemas: SchemaSet): JsonSchema | undefined {
  if (route.body === "") return undefined;
  const input = route.method.input;
  const field = route.body === "*" ? undefined : fieldAt(input, route.body);
  const target =
    field === undefined ? input : field.fieldKind === "message" ? field.message : undefined;
  if (target?.typeName === HTTP_BODY) {
    return {
      description: "The raw body, with its Content-Type (`google.api.HttpBody`)",
      content: { "*/*": { schema: {} } },
    };
  }
  const schema = field === undefined ? schemas.message(input) : schemas.property(field);
  const kind = route.method.methodKind;
  const streamed = kind === "client_streaming" || kind === "bidi_streaming";
  const exclude = new Set(
    field === undefined
      ? route.pattern.variables.map((v) => v.fieldPath.split(".")[0] ?? v.fieldPath)
      : [],
  );
  const forms = target === undefined ? {} : formMedia(target, schemas, exclude, streamed);
  if (streamed) {
    const media = { schema };
    return {
      description:
        "A stream of request messages: JSON values, newline-delimited or concatenated; the schema is one message's. Or a form: its text parts make the first message, each file part follows in chunk messages.",
      content: { "application/x-ndjson": media, "application/json": media, ...forms },
    };
  }
  return { content: { "application/json": { schema }, ...forms } };
}

function successResponse(route: RouteInfo, schemas: SchemaSet): JsonSchema {
  const { method } = route;
  const field = route.responseBody === "" ? undefined : fieldAt(method.output, route.responseBody);
  if (field === undefined && method.output.typeName === HTTP_BODY) {
    return {
      description: "The raw body, with the Content-Type the backend chose (`google.api.HttpBody`)",
      content: { "*/*": { schema: {} } },
    };
  }
  const schema = field === undefined ? schemas.message(method.output) : schemas.field(field);
  const kind = method.methodKind;
  if (kind === "unary" || kind === "client_streaming") {
    return { description: "OK", content: { "application/json": { schema } } };
  }
  const line = {
    oneOf: [
      { type: "object", properties: { result: schema }, required: ["result"] },
      { type: "object", properties: { error: statusSchema(schemas) }, required: ["error"] },
    ],
  };
  return {
    description:
      'A stream: one JSON object per line (newline-delimited JSON), `{"result": …}` per message; an error after the first message is a last `{"error": …}` line. With `Accept: text/event-stream`, Server-Sent Events: `data: <message>` per event, `event: error` for an error.',
    content: {
      "application/json": { schema: line },
      "text/event-stream": { schema: { type: "string" } },
    },
  };
}
