import type { IncomingMessage, ServerResponse } from "node:http";
import type { JsonValue, Registry } from "@bufbuild/protobuf";
import type { CallContext } from "../core/call-context.js";
import { errorBody } from "../core/error-body.js";
import type { RawBody } from "../core/http-body.js";
import { httpStatusOf } from "../core/http-status-error.js";
import { Code, RpcError } from "../core/rpc-error.js";
import {
  acceptsTrailers,
  type OutgoingHeaderRules,
  writeErrorMetadata,
} from "../headers/response-metadata.js";
import type { PipelineCall } from "../pipeline/pipeline.js";
import { publicError } from "./error-redaction.js";

/** Writes an error response. Replaces the default `google.rpc.Status` JSON writer. */
export type ErrorHandler = (error: RpcError, req: IncomingMessage, res: ServerResponse) => void;

/**
 * The JSON of a stream's error frame (grpc-gateway's `WithStreamErrorHandler`):
 * it receives the error that ends a stream after its headers went out and
 * returns what the NDJSON line, the SSE `event: error` data, or the last
 * element of a JSON-array stream holds instead of `{"error": <google.rpc.Status>}`.
 * The error is already redacted where `redactInternalErrors` says so. When it
 * throws, the default frame is written.
 */
export type StreamErrorHandler = (error: RpcError) => JsonValue;

/** How errors are answered. @internal */
export interface ErrorWriting {
  /** Types error details may hold. */
  readonly registry: Registry;
  readonly errorHandler: ErrorHandler | undefined;
  /** `WWW-Authenticate` of a 401 when the backend sent none; undefined sends none. */
  readonly wwwAuthenticate: string | undefined;
  /** The failed call's response metadata → headers. */
  readonly outgoing: OutgoingHeaderRules;
  /** Replace backend INTERNAL/UNKNOWN messages with a generic one (see `redactInternalErrors`). */
  readonly redactInternalErrors: boolean;
  /** The JSON of a stream's error frame; undefined writes `{"error": <status>}`. */
  readonly streamErrorHandler: StreamErrorHandler | undefined;
}

/**
 * Writes a JSON response body with its status; without `Content-Length`
 * (chunked) when HTTP trailers were announced with a `Trailer` header.
 * @internal
 */
export function writeJson(res: ServerResponse, status: number, json: string): void {
  res.statusCode = status;
  res.setHeader("Content-Type", "application/json");
  if (!res.hasHeader("Trailer")) res.setHeader("Content-Length", Buffer.byteLength(json));
  res.end(json);
}

/**
 * Writes a raw (`google.api.HttpBody`) response body with its content type;
 * chunked, without `Content-Length`, when HTTP trailers were announced.
 * @internal
 */
export function writeRaw(res: ServerResponse, status: number, body: RawBody): void {
  res.statusCode = status;
  res.setHeader("Content-Type", body.contentType);
  if (!res.hasHeader("Trailer")) res.setHeader("Content-Length", body.data.byteLength);
  res.end(body.data);
}

/**
 * Answers a request with an error: the mux's `errorHandler` when set, or the
 * `google.rpc.Status` JSON body with the mapped HTTP status. Never writes to a
 * response whose headers are gone or whose client left. An error with code OK
 * is answered as UNKNOWN (500): a failure never looks successful.
 *
 * With the failed call's `context`, its response metadata is written first
 * (`Grpc-Metadata-*`; the error's metadata and the context's trailers as
 * `Grpc-Trailer-*`, or as HTTP trailers when the client accepts them), also
 * before a custom `errorHandler` runs. A 401 (UNAUTHENTICATED) answer of the
 * default writer gets `WWW-Authenticate`: the backend's `www-authenticate`
 * metadata, else the mux's `wwwAuthenticate` option. With the pipeline's
 * `call`, the error is its outcome.
 * @internal
 */
export function writeError(
  error: RpcError,
  req: IncomingMessage,
  res: ServerResponse,
  options: ErrorWriting,
  context?: CallContext,
  call?: PipelineCall,
): void {
  if (error.code === Code.Ok) {
    // A failure must not look successful (grpc-js sends OK errors as UNKNOWN too).
    error = new RpcError(error.rawMessage, Code.Unknown, {
      metadata: error.metadata,
      details: error.details,
      cause: error,
    });
  }
  call?.fail(error);
  if (res.headersSent || res.destroyed) return;
  error = publicError(error, options.redactInternalErrors);
  try {
    if (context !== undefined) {
      writeErrorMetadata(
        res,
        error.metadata,
        context,
        options.outgoing,
        options.errorHandler === undefined && acceptsTrailers(req),
      );
    }
    if (options.errorHandler !== undefined) {
      options.errorHandler(error, req, res);
      if (call !== undefined) call.outcome.bytesOut += Number(res.getHeader("content-length")) || 0;
      return;
    }
    const status = httpStatusOf(error);
    if (status === 401 && error.code === Code.Unauthenticated) {
      const challenge = wwwAuthenticate(error, context, options);
      if (challenge !== undefined) res.setHeader("WWW-Authenticate", challenge);
    }
    const body = errorBody(error, options.registry);
    if (call !== undefined) call.outcome.bytesOut += Buffer.byteLength(body);
    writeJson(res, status, body);
  } catch {
    // A throwing errorHandler (or a header Node rejects): answer a bare 500
    // rather than leaving the request hanging or crashing the process.
    if (res.headersSent || res.destroyed) {
      res.destroy();
      return;
    }
    for (const name of res.getHeaderNames()) res.removeHeader(name);
    writeJson(res, 500, errorBody(new RpcError("error handler failed", Code.Internal)));
  }
}

function wwwAuthenticate(
  error: RpcError,
  context: CallContext | undefined,
  options: ErrorWriting,
): string | undefined {
  const fromBackend =
    error.metadata.get("www-authenticate")[0] ??
    context?.responseMetadata.get("www-authenticate")[0];
  if (typeof fromBackend === "string" && /^[\t\x20-\x7e]+$/.test(fromBackend)) {
    return fromBackend;
  }
  return options.wwwAuthenticate;
}
