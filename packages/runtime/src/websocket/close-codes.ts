import type { Registry } from "@bufbuild/protobuf";
import { errorBody } from "../core/error-body.js";
import type { RpcError } from "../core/rpc-error.js";
import { publicError } from "../wire/error-redaction.js";

/**
 * WebSocket close code of a call that ended OK. A failed call closes with
 * `4000 + <gRPC code>` (4001 CANCELLED … 4016 UNAUTHENTICATED) and, as reason,
 * the `google.rpc.Status` JSON when it fits the 123 bytes a reason may have
 * (otherwise `{"code":…,"message":…}` with the message cut to fit).
 */
export const webSocketCloseOk = 1000;
/** Added to a gRPC code to make the close code of a failed call. */
export const webSocketCloseErrorBase = 4000;

/** How a failed call's status is written into its close reason. @internal */
export interface CloseErrorOptions {
  readonly registry: Registry;
  readonly redactInternalErrors: boolean;
}

/** The close reason of a failed call: its status JSON, cut to the 123 bytes a reason may hold. */
export function closeReason(failure: RpcError, errors: CloseErrorOptions): string {
  const error = publicError(failure, errors.redactInternalErrors);
  const full = errorBody(error, errors.registry);
  if (Buffer.byteLength(full) <= 123) return full;
  const chars = [...error.rawMessage];
  for (;;) {
    const reason = JSON.stringify({ code: error.code, message: chars.join("") });
    if (Buffer.byteLength(reason) <= 123 || chars.length === 0) return reason;
    chars.pop();
  }
}
