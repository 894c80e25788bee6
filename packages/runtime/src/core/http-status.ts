import { Code } from "./rpc-error.js";

/**
 * The HTTP status for a gRPC status code, as grpc-gateway's
 * `HTTPStatusFromCode` (and google/rpc/code.proto) map them. A number that is
 * not a code maps to 500.
 */
export function httpStatusFromCode(code: Code): number {
  switch (code) {
    case Code.Ok:
      return 200;
    case Code.Cancelled:
      return 499;
    case Code.Unknown:
      return 500;
    case Code.InvalidArgument:
      return 400;
    case Code.DeadlineExceeded:
      return 504;
    case Code.NotFound:
      return 404;
    case Code.AlreadyExists:
      return 409;
    case Code.PermissionDenied:
      return 403;
    case Code.ResourceExhausted:
      return 429;
    case Code.FailedPrecondition:
      return 400;
    case Code.Aborted:
      return 409;
    case Code.OutOfRange:
      return 400;
    case Code.Unimplemented:
      return 501;
    case Code.Internal:
      return 500;
    case Code.Unavailable:
      return 503;
    case Code.DataLoss:
      return 500;
    case Code.Unauthenticated:
      return 401;
    default:
      return notACode(code);
  }
}

/** Compile-time exhaustiveness check; at run time a stray number maps to 500. */
function notACode(_code: never): number {
  return 500;
}

/**
 * The gRPC code for an error the gateway itself raises with an HTTP status
 * (routing, body parsing, limits), so that the error body carries a fitting
 * `code`. Where two codes share a status the more general one wins
 * (400 → InvalidArgument, 409 → Aborted). 405 maps to Unimplemented, as in
 * grpc-gateway's routing error handler. Other 4xx map to FailedPrecondition,
 * other 5xx to Internal, anything else to Unknown.
 *
 * This is not the gRPC spec's mapping for a non-gRPC HTTP response received
 * by a gRPC client (where 404 means Unimplemented).
 */
export function codeFromHttpStatus(status: number): Code {
  switch (status) {
    case 200:
      return Code.Ok;
    case 400:
      return Code.InvalidArgument;
    case 401:
      return Code.Unauthenticated;
    case 403:
      return Code.PermissionDenied;
    case 404:
      return Code.NotFound;
    case 405:
      return Code.Unimplemented;
    case 408:
      return Code.DeadlineExceeded;
    case 409:
      return Code.Aborted;
    case 412:
      return Code.FailedPrecondition;
    case 413:
      return Code.ResourceExhausted;
    case 415:
      return Code.InvalidArgument;
    case 416:
      return Code.OutOfRange;
    case 429:
      return Code.ResourceExhausted;
    case 499:
      return Code.Cancelled;
    case 500:
      return Code.Internal;
    case 501:
      return Code.Unimplemented;
    case 503:
      return Code.Unavailable;
    case 504:
      return Code.DeadlineExceeded;
  }
  if (status >= 400 && status < 500) {
    return Code.FailedPrecondition;
  }
  if (status >= 500 && status < 600) {
    return Code.Internal;
  }
  return Code.Unknown;
}
