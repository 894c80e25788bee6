import type { IncomingMessage, ServerResponse } from "node:http";
import type { CallContext } from "../core/call-context.js";
import { type CallMetadata, createMetadata, mergeMetadata } from "../core/metadata.js";
import { metadataTrailerPrefix } from "./header-matcher.js";
import { headersFromMetadata, type OutgoingHeaderMatcher } from "./outgoing-headers.js";

/** How response metadata becomes headers: the mux's outgoing matchers (undefined: the defaults). @internal */
export interface OutgoingHeaderRules {
  readonly outgoingHeader: OutgoingHeaderMatcher | undefined;
  readonly outgoingTrailer: OutgoingHeaderMatcher | undefined;
}

/** Metadata key a backend sets in its response headers to choose the HTTP success status (e.g. 201). */
export const httpCodeMetadataKey = "x-http-code";

/**
 * Prefix of response header metadata keys that become plain HTTP response
 * headers: a backend sending `x-http-header-location: /v1/things/1` makes the
 * gateway answer with `location: /v1/things/1` (instead of
 * `Grpc-Metadata-x-http-header-location`). Headers that describe the
 * message or the connection (`content-type`, `content-length`,
 * `transfer-encoding`, `connection`, `trailer`, …) cannot be set this way.
 */
export const httpHeaderMetadataPrefix = "x-http-header-";

/** Headers the gateway controls; a backend cannot set them through {@link httpHeaderMetadataPrefix}. */
const gatewayOwnedHeaders = new Set([
  "content-type",
  "content-length",
  "content-encoding",
  "transfer-encoding",
  "connection",
  "keep-alive",
  "upgrade",
  "te",
  "trailer",
  "host",
  "date",
]);

/**
 * Copies a call's response metadata to HTTP headers (`Grpc-Metadata-<key>`,
 * trailers as `Grpc-Trailer-<key>`, `x-http-header-<name>` as `<name>`), and
 * returns the success status: 200, or what the backend asked for with
 * `x-http-code` (2xx only).
 *
 * With `httpTrailers` (see {@link acceptsTrailers}) the trailer metadata is
 * sent as real HTTP trailers: announced in a `Trailer` header and added with
 * `res.addTrailers`; the body must then be written without `Content-Length`
 * (chunked), which `writeJson` does when it sees the `Trailer` header.
 * @internal
 */
export function writeResponseMetadata(
  res: ServerResponse,
  context: CallContext,
  rules: OutgoingHeaderRules,
  httpTrailers = false,
): number {
  let status = 200;
  const code = context.responseMetadata.get(httpCodeMetadataKey)[0];
  if (code !== undefined) {
    const n = Number(code);
    if (Number.isInteger(n) && n >= 200 && n <= 299) status = n;
    context.responseMetadata.remove(httpCodeMetadataKey);
  }
  writeHeaderMetadata(res, context.responseMetadata, rules);
  writeTrailerMetadata(res, context.responseTrailers, rules, httpTrailers);
  return status;
}

/**
 * The error-path counterpart of {@link writeResponseMetadata}: the response
 * header metadata the call got before it failed, and as trailers the error's
 * metadata together with the context's trailers (a key present in both is
 * written once, from the context).
 * @internal
 */
export function writeErrorMetadata(
  res: ServerResponse,
  errorMetadata: CallMetadata,
  context: CallContext,
  rules: OutgoingHeaderRules,
  httpTrailers = false,
): void {
  context.responseMetadata.remove(httpCodeMetadataKey);
  writeHeaderMetadata(res, context.responseMetadata, rules);
  // Core metadata: it takes byte values of any Uint8Array, as an error's metadata may hold.
  const trailers = createMetadata();
  mergeMetadata(trailers, context.responseTrailers);
  const entries = errorMetadata.toJSON();
  for (const key in entries) {
    if (trailers.get(key).length > 0) continue;
    for (const value of entries[key] ?? []) trailers.add(key, value);
  }
  writeTrailerMetadata(res, trailers, rules, httpTrailers);
}

function writeHeaderMetadata(
  res: ServerResponse,
  metadata: CallMetadata,
  rules: OutgoingHeaderRules,
): void {
  const matcher = rules.outgoingHeader;
  for (const [name, value] of headersFromMetadata(metadata, undefined, (key) => {
    if (key.startsWith(httpHeaderMetadataPrefix)) {
      const header = key.slice(httpHeaderMetadataPrefix.length);
      return gatewayOwnedHeaders.has(header) || header.startsWith("proxy-") ? false : header;
    }
    return matcher === undefined ? `Grpc-Metadata-${key}` : matcher(key);
  })) {
    res.appendHeader(name, value);
  }
}

function writeTrailerMetadata(
  res: ServerResponse,
  metadata: CallMetadata,
  rules: OutgoingHeaderRules,
  httpTrailers: boolean,
): void {
  const trailers = headersFromMetadata(metadata, metadataTrailerPrefix, rules.outgoingTrailer);
  if (trailers.length === 0) return;
  if (httpTrailers) {
    res.setHeader("Trailer", [...new Set(trailers.map(([name]) => name))].join(", "));
    res.addTrailers(trailers);
    return;
  }
  for (const [name, value] of trailers) res.appendHeader(name, value);
}

/**
 * Whether the client asked for HTTP trailers (`TE: trailers`) over HTTP/1.1,
 * where the gateway can send them after a chunked body.
 * @internal
 */
export function acceptsTrailers(req: IncomingMessage): boolean {
  const te = req.headers.te;
  if (typeof te !== "string" || req.httpVersionMajor !== 1 || req.httpVersionMinor < 1)
    return false;
  for (const part of te.split(",")) {
    const semi = part.indexOf(";");
    if ((semi === -1 ? part : part.slice(0, semi)).trim().toLowerCase() === "trailers") return true;
  }
  return false;
}
