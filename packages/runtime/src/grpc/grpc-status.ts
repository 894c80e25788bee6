import { toBinary } from "@bufbuild/protobuf";
import type {
  status as GrpcStatus,
  Metadata,
  ServerErrorResponse,
  ServiceError,
  StatusObject,
} from "@grpc/grpc-js";
import {
  Code,
  fromStatusObject,
  type RpcError,
  statusDetailsKey,
  statusFromRpcError,
} from "../core/rpc-error.js";
import { StatusSchema } from "../proto/google/rpc/status_pb.js";
import { toGrpcMetadataCopy } from "./metadata.js";

/**
 * What a grpc-js server handler passes to its callback, or emits as `'error'`
 * on a streaming call, to fail with an RpcError.
 */
export type ServiceErrorResponse = ServerErrorResponse & {
  code: GrpcStatus;
  details: string;
  metadata: Metadata;
};

/** Keys grpc-js writes itself; a stray copy in the metadata would override them. */
const statusKeys = ["grpc-status", "grpc-message", statusDetailsKey] as const;

/**
 * Converts an RpcError to the error a grpc-js server handler sends: the code,
 * the raw message as `details`, and a copy of the error's metadata as
 * trailers, with `grpc-status-details-bin` holding the encoded
 * `google.rpc.Status` when the error has details. The result is also an
 * `Error`: pass it to a unary/client-streaming handler's `callback(err)`, or
 * `call.emit("error", err)` on a server-streaming/bidi call. (In grpc-js 1.14
 * `call.destroy(err)` does not send the status: the stream is destroyed before
 * its `_final` writes it, and the client waits until its deadline.)
 *
 * An error carrying `Code.Ok` is sent as `Code.Unknown`: a failed call must
 * not look successful.
 */
export function toServiceError(error: RpcError): ServiceErrorResponse {
  const code = error.code === Code.Ok ? Code.Unknown : error.code;
  const metadata = toGrpcMetadataCopy(error.metadata);
  for (const key of statusKeys) {
    metadata.remove(key);
  }
  if (error.details.length > 0) {
    const status = statusFromRpcError(error);
    status.code = code;
    metadata.set(statusDetailsKey, Buffer.from(toBinary(StatusSchema, status)));
  }
  return Object.assign(new Error(error.rawMessage), {
    code: code as number as GrpcStatus,
    details: error.rawMessage,
    metadata,
  });
}

/**
 * Converts the error a grpc-js client call failed with (or a `StatusObject`)
 * to an RpcError: code, message (`details`), details decoded from
 * `grpc-status-details-bin`, and the trailers as metadata. Same as
 * `RpcError.from(e)` for these inputs.
 */
export function fromServiceError(error: ServiceError | StatusObject): RpcError {
  return fromStatusObject(error);
}
