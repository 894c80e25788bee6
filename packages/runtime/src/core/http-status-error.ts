import { httpStatusFromCode } from "./http-status.js";
import { type Code, RpcError, type RpcErrorOptions } from "./rpc-error.js";

/**
 * An error that answers with an explicit HTTP status rather than its gRPC
 * code's mapping, as grpc-gateway's `HTTPStatusError`: the gateway raises one
 * where the code alone would be less precise (413 for a body over the limit,
 * 415 for a Content-Type, 405 for a method), and so may an application (a
 * 429 from a rate limit). It is an {@link RpcError}: its code and message still
 * make the `google.rpc.Status` body, and a gRPC caller sees only the code.
 */
export class HttpStatusError extends RpcError {
  /** The HTTP status the gateway answers with. */
  readonly httpStatus: number;
  override name = "HttpStatusError";

  constructor(message: string, code: Code, httpStatus: number, options?: RpcErrorOptions) {
    super(message, code, options);
    this.httpStatus = httpStatus;
  }
}

/** The HTTP status an error answers with: its own ({@link HttpStatusError}), else its code's mapping. */
export function httpStatusOf(error: RpcError): number {
  return error instanceof HttpStatusError ? error.httpStatus : httpStatusFromCode(error.code);
}
