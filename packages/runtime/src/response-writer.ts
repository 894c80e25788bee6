import type { IncomingMessage, ServerResponse } from "node:http";
import { errorBody } from "./error-body.js";
import { httpStatusFromCode } from "./http-status.js";
import type { ResolvedMuxOptions } from "./mux-options.js";
import type { RpcError } from "./rpc-error.js";

const httpStatusOverrides = new WeakMap<RpcError, number>();

/**
 * Marks an error the gateway raises itself with the HTTP status it answers
 * (413, 415, 405, …) where the gRPC code's usual mapping would be less precise.
 * @internal
 */
export function withHttpStatus(error: RpcError, status: number): RpcError {
  httpStatusOverrides.set(error, status);
  return error;
}

/** The HTTP status for an error: an explicit gateway status, or the gRPC code's mapping. */
export function httpStatusOf(error: RpcError): number {
  return httpStatusOverrides.get(error) ?? httpStatusFromCode(error.code);
}

/** Writes a JSON response body with its status. @internal */
export function writeJson(res: ServerResponse, status: number, json: string): void {
  res.statusCode = status;
  res.setHeader("Content-Type", "application/json");
  res.setHeader("Content-Length", Buffer.byteLength(json));
  res.end(json);
}

/**
 * Answers a request with an error: the mux's `errorHandler` when set, or the
 * `google.rpc.Status` JSON body with the mapped HTTP status. Never writes to a
 * response whose headers are gone or whose client left.
 * @internal
 */
export function writeError(
  error: RpcError,
  req: IncomingMessage,
  res: ServerResponse,
  options: ResolvedMuxOptions,
): void {
  if (res.headersSent || res.destroyed) return;
  if (options.errorHandler !== undefined) {
    options.errorHandler(error, req, res);
    return;
  }
  writeJson(res, httpStatusOf(error), errorBody(error, options.registry));
}
