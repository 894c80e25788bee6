import type { ServerResponse } from "node:http";
import type { CallContext } from "./call-context.js";
import { headersFromMetadata } from "./header-matcher.js";
import type { ResolvedMuxOptions } from "./mux-options.js";

/** Metadata key a backend sets in its response headers to choose the HTTP success status (e.g. 201). */
export const httpCodeMetadataKey = "x-http-code";

/**
 * Copies a call's response metadata to HTTP headers (`Grpc-Metadata-<key>`,
 * trailers as `Grpc-Trailer-<key>`), and returns the success status: 200, or
 * what the backend asked for with `x-http-code`.
 * @internal
 */
export function writeResponseMetadata(
  res: ServerResponse,
  context: CallContext,
  options: ResolvedMuxOptions,
): number {
  let status = 200;
  const code = context.responseMetadata.get(httpCodeMetadataKey)[0];
  if (code !== undefined) {
    const n = Number(code);
    if (Number.isInteger(n) && n >= 200 && n <= 299) status = n;
    context.responseMetadata.remove(httpCodeMetadataKey);
  }
  for (const [name, value] of headersFromMetadata(
    context.responseMetadata,
    "Grpc-Metadata-",
    options.headers.outgoingHeader,
  )) {
    res.appendHeader(name, value);
  }
  for (const [name, value] of headersFromMetadata(
    context.responseTrailers,
    "Grpc-Trailer-",
    options.headers.outgoingTrailer,
  )) {
    res.appendHeader(name, value);
  }
  return status;
}
