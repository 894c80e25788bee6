import type { RouteInfo } from "../http-rules.js";
import type { Operation, Response } from "../proto/protoc-gen-openapiv2/options/openapiv2_pb.js";
import { errorResponses, statusSchema } from "./errors.js";
import { formMedia } from "./form-bodies.js";
import * as v2 from "./openapiv2.js";
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

/**
 * What the document decides for every operation: the default tags, whether
 * the default success and error responses are written, and the file-level
 * `openapiv2_swagger` parts an operation inherits (media types, responses,
 * host and base path for its own `schemes`).
 */
export interface OperationDefaults {
  readonly tags: readonly string[];
  readonly defaultResponse: boolean;
  readonly defaultErrors: boolean;
  readonly consumes: readonly string[];
  readonly produces: readonly string[];
  readonly responses: { readonly [status: string]: Response };
  readonly host: string;
  readonly basePath: string;
}

/** No file annotation, the service's tag, every default response. */
export function plainDefaults(tags: readonly string[]): OperationDefaults {
  return {
    tags,
    defaultResponse: true,
    defaultErrors: true,
    consumes: [],
    produces: [],
    responses: {},
    host: "",
    basePath: "",
  };
}

/** The OpenAPI operation of one route; `option` is its method's `openapiv2_operation`. */
export function routeOperation(
  route: RouteInfo,
  operationId: string,
  schemas: SchemaSet,
  defaults: OperationDefaults = plainDefaults([route.method.parent.name]),
  option: Operation | undefined = undefined,
): OperationEntry {
  const { method } = route;
  const path = openApiPath(route, schemas);
  const parameters = [...path.parameters, ...queryParameters(route, schemas)];
  const operation: JsonSchema = { operationId };
  if (defaults.tags.length > 0) operation.tags = [...defaults.tags];
  Object.assign(operation, commentParts(schemas.comment(method)));
  if (method.deprecated) operation.deprecated = true;
  for (const header of option?.parameters?.headers ?? []) {
    parameters.push(v2.headerParameter(header) as (typeof parameters)[number]);
  }
  if (parameters.length > 0) operation.parameters = parameters;
  const consumes = option?.consumes.length ? option.consumes : defaults.consumes;
  const produces = option?.produces.length ? option.produces : defaults.produces;
  const request = requestBody(route, schemas);
  if (request !== undefined) {
    request.content = withMediaTypes(request.content as JsonSchema, consumes);
    operation.requestBody = request;
  }
  const rawBody = request !== undefined && "*/*" in (request.content as object);
  const responses: JsonSchema = {};
  if (defaults.defaultResponse) {
    // A backend may answer any 2xx (`x-http-code`), e.g. 201 on create.
    const success = successResponse(route, schemas);
    if (method.methodKind === "unary" || method.methodKind === "client_streaming") {
      success.content = withMediaTypes(success.content as JsonSchema, produces);
    }
    responses["2XX"] = success;
  }
  if (defaults.defaultErrors) {
    Object.assign(
      responses,
      errorResponses({ jsonBody: request !== undefined && !rawBody, rawBody }),
    );
  }
  const custom = { ...defaults.responses, ...option?.responses };
  const types = produces.length > 0 ? produces : ["application/json"];
  for (const [status, response] of Object.entries(custom)) {
    const converted = v2.response(response, types, schemas.resolveRef);
    const success = responses["2XX"] as JsonSchema | undefined;
    if (status === "200" && success !== undefined && response.schema === undefined) {
      // A "200" that adds examples or headers to the success response (as
      // protoc-gen-openapiv2 merges it into its default 200).
      responses["200"] = mergeSuccess(success, converted);
      delete responses["2XX"];
    } else responses[status] = converted;
  }
  operation.responses = responses;
  if (option !== undefined) applyOperationOption(operation, option, defaults);
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

/** The success response with an annotation's description, headers and examples over it. */
function mergeSuccess(success: JsonSchema, custom: JsonSchema): JsonSchema {
  const out: JsonSchema = { ...custom, ...success };
  if (custom.description !== "") out.description = custom.description;
  if (custom.headers !== undefined) out.headers = custom.headers;
  const content = { ...(success.content as Record<string, JsonSchema> | undefined) };
  for (const [type, media] of Object.entries(
    (custom.content ?? {}) as Record<string, JsonSchema>,
  )) {
    content[type] = { ...content[type], ...media };
  }
  if (Object.keys(content).length > 0) out.content = content;
  return out;
}

/** What an `openapiv2_operation` sets besides parameters, media types and responses. */
function applyOperationOption(
  operation: JsonSchema,
  option: Operation,
  defaults: OperationDefaults,
): void {
  if (option.tags.length > 0) operation.tags = [...option.tags];
  if (option.summary !== "") operation.summary = option.summary;
  if (option.description !== "") operation.description = option.description;
  if (option.externalDocs !== undefined) {
    operation.externalDocs = v2.externalDocs(option.externalDocs);
  }
  if (option.operationId !== "") operation.operationId = option.operationId;
  if (option.deprecated) operation.deprecated = true;
  if (option.security.length > 0) operation.security = v2.security(option.security);
  // Schemes of its own: servers of its own, with the document's host (none without one).
  if (option.schemes.length > 0 && defaults.host !== "") {
    operation.servers = v2.servers(defaults.host, defaults.basePath, option.schemes);
  }
  Object.assign(operation, v2.extensionsOf(option.extensions));
}

/**
 * A content map with its `application/json` entry under each of `types`
 * instead (the `consumes`/`produces` of an annotation), other entries kept.
 */
function withMediaTypes(content: JsonSchema, types: readonly string[]): JsonSchema {
  const json = content["application/json"];
  if (types.length === 0 || json === undefined) return content;
  const out: JsonSchema = {};
  for (const [type, media] of Object.entries(content)) {
    if (type === "application/json") for (const t of types) out[t] = media;
    else if (!types.includes(type)) out[type] = media;
  }
  return out;
}

/** The first paragraph of the method's comment as summary, the rest as description. */
function commentParts(comment: string | undefined): { summary?: string; description?: string } {
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
