import { Code, RpcError } from "../core/rpc-error.js";

/** The message that replaces INTERNAL and UNKNOWN messages under `redactInternalErrors`. */
export const redactedMessage = "internal error";

/**
 * The error as a client may see it: with `redact`, an INTERNAL or UNKNOWN
 * error (a backend's bug, as a rule: stack traces, SQL, hostnames) gets a
 * generic message and no details; the original stays its `cause`, for logs.
 * Other errors are returned as they are. @internal
 */
export function publicError(error: RpcError, redact: boolean): RpcError {
  if (!redact || (error.code !== Code.Internal && error.code !== Code.Unknown)) return error;
  return new RpcError(redactedMessage, error.code, { metadata: error.metadata, cause: error });
}
