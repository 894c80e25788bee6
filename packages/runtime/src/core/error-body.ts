import type {
  DescEnum,
  DescExtension,
  DescFile,
  DescMessage,
  DescService,
  JsonValue,
  JsonWriteOptions,
  Registry,
} from "@bufbuild/protobuf";
import { createRegistry, toJson } from "@bufbuild/protobuf";
import { base64Encode } from "@bufbuild/protobuf/wire";
import { AnySchema } from "@bufbuild/protobuf/wkt";
import { file_google_rpc_error_details } from "../proto/google/rpc/error_details_pb.js";
import { detailToAny, type RpcError, type RpcErrorDetail } from "./rpc-error.js";

/**
 * A registry with every `google.rpc` error detail type (ErrorInfo, RetryInfo,
 * DebugInfo, QuotaFailure, PreconditionFailure, BadRequest, RequestInfo,
 * ResourceInfo, Help, LocalizedMessage): the default for {@link errorBody}.
 */
export const errorDetailsRegistry: Registry = createRegistry(file_google_rpc_error_details);

/**
 * The {@link errorDetailsRegistry} extended with your own detail types (files,
 * messages or registries), so {@link errorBody} prints them as JSON.
 */
export function createErrorDetailsRegistry(
  ...types: (Registry | DescFile | DescMessage | DescEnum | DescExtension | DescService)[]
): Registry {
  return createRegistry(errorDetailsRegistry, ...types);
}

/** JSON options for the details; the registry is passed separately. */
export type ErrorBodyJsonOptions = Partial<Omit<JsonWriteOptions, "registry">>;

/**
 * The HTTP error body for an RpcError: the JSON text of a `google.rpc.Status`,
 * `{"code": 5, "message": "...", "details": [...]}`, like grpc-gateway's.
 * `code` and `message` are always present, `details` always an array.
 *
 * Each detail prints as `google.protobuf.Any` JSON with `@type`, resolved
 * through `registry` (default {@link errorDetailsRegistry}; a detail added as
 * `{ desc, value }` is resolved through its own `desc`). A detail whose type
 * the registry does not know (or that fails to decode) does not fail the body:
 * it prints as `{"@type": "<type url>", "value": "<base64 of the bytes>"}`.
 */
export function errorBody(
  error: RpcError,
  registry: Registry = errorDetailsRegistry,
  jsonOptions: ErrorBodyJsonOptions = {},
): string {
  const details: JsonValue[] = [];
  for (const detail of error.details) {
    details.push(detailJson(detail, registry, jsonOptions));
  }
  return JSON.stringify({ code: error.code, message: error.rawMessage, details });
}

function detailJson(
  detail: RpcErrorDetail,
  registry: Registry,
  jsonOptions: ErrorBodyJsonOptions,
): JsonValue {
  let any: ReturnType<typeof detailToAny> | undefined;
  try {
    any = detailToAny(detail);
    if ("desc" in detail && registry.getMessage(detail.desc.typeName) === undefined) {
      registry = createRegistry(registry, detail.desc);
    }
    return toJson(AnySchema, any, { ...jsonOptions, registry });
  } catch {
    if (any === undefined) {
      return { "@type": "" };
    }
    return { "@type": any.typeUrl, value: base64Encode(any.value) };
  }
}
