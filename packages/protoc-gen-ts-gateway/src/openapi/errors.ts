import { AnySchema } from "@bufbuild/protobuf/wkt";
import type { JsonSchema, SchemaSet } from "./schemas.js";
import { wellKnownSchema } from "./well-known-schemas.js";

/** `$ref` of the `google.rpc.Status` schema, defined in the set on first use. */
export function statusSchema(schemas: SchemaSet): JsonSchema {
  const any = schemas.define("google.protobuf.Any", () => wellKnownSchema(AnySchema)!);
  return schemas.define("google.rpc.Status", () => ({
    type: "object",
    description:
      "The error body of every failed call, whether the backend or the gateway raised it (`google.rpc.Status` as JSON).",
    properties: {
      code: { type: "integer", format: "int32", description: "The gRPC status code" },
      message: { type: "string" },
      details: { type: "array", items: any, description: "`google.rpc` error details as `Any`" },
    },
    required: ["code", "message", "details"],
  }));
}

/** What a route's request looks like, as far as the gateway's own errors go. */
export interface ErrorContext {
  /** The route reads a JSON request body (413 and 415 apply). */
  readonly jsonBody: boolean;
  /** The route reads a raw `google.api.HttpBody` body (413 applies, any media type). */
  readonly rawBody: boolean;
}

/**
 * The statuses the gateway answers itself (README "Errors"), always with a
 * `google.rpc.Status` body; the backend's own errors are the `default`.
 */
const gatewayStatuses: ReadonlyArray<{
  status: string;
  description: string;
  applies: (c: ErrorContext) => boolean;
}> = [
  {
    status: "400",
    description:
      "INVALID_ARGUMENT: a bad path or query value, malformed JSON, invalid `-bin` metadata or `Grpc-Timeout`",
    applies: () => true,
  },
  {
    status: "413",
    description: "RESOURCE_EXHAUSTED: the body is larger than the gateway's `maxRequestBytes`",
    applies: (c) => c.jsonBody || c.rawBody,
  },
  {
    status: "415",
    description: "INVALID_ARGUMENT: the body's Content-Type is not JSON",
    applies: (c) => c.jsonBody,
  },
  {
    status: "503",
    description: "UNAVAILABLE: the backend cannot be reached",
    applies: () => true,
  },
  {
    status: "504",
    description: "DEADLINE_EXCEEDED: the deadline (`Grpc-Timeout`) passed",
    applies: () => true,
  },
];

/** The error responses of an operation, each a `$ref` to a shared response. */
export function errorResponses(context: ErrorContext): Record<string, JsonSchema> {
  const responses: Record<string, JsonSchema> = {};
  for (const { status, applies } of gatewayStatuses) {
    if (applies(context)) responses[status] = { $ref: `#/components/responses/Error${status}` };
  }
  responses.default = { $ref: "#/components/responses/Error" };
  return responses;
}

/** The shared error responses `errorResponses` refers to. */
export function errorComponents(schemas: SchemaSet): Record<string, JsonSchema> {
  const content = { "application/json": { schema: statusSchema(schemas) } };
  const components: Record<string, JsonSchema> = {};
  for (const { status, description } of gatewayStatuses) {
    components[`Error${status}`] = { description, content };
  }
  components.Error = {
    description:
      "An error from the backend: the HTTP status is mapped from the gRPC code (NOT_FOUND → 404, PERMISSION_DENIED → 403, …)",
    content,
  };
  return components;
}
