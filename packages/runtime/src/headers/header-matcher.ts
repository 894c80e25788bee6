import type { IncomingHttpHeaders } from "node:http";
import { Metadata } from "@grpc/grpc-js";
import { firstValue, forwardedFor } from "./forwarded-for.js";

/**
 * Decides which HTTP request headers become gRPC metadata: receives the
 * lower-cased header name and returns the metadata key, or `undefined`/`false`
 * to drop the header. Replaces {@link defaultHeaderMatcher}; call that from
 * your matcher to extend it instead.
 *
 * Whatever the matcher says, hop-by-hop headers, HTTP/2 pseudo headers and
 * `grpc-timeout` are never forwarded, and keys gRPC reserves (see
 * {@link metadataFromHeaders}) are dropped.
 */
export type HeaderMatcher = (name: string) => string | undefined | false;

/** Prefix of request headers forwarded as metadata, and of response headers made from header metadata. */
export const metadataHeaderPrefix = "Grpc-Metadata-";
/** Prefix of response headers made from trailer metadata. */
export const metadataTrailerPrefix = "Grpc-Trailer-";
/** Prefix of the metadata keys that carry permanent HTTP request headers. */
export const gatewayMetadataPrefix = "grpcgateway-";

const incomingPrefix = "grpc-metadata-";

/**
 * Permanent request headers (IANA, as grpc-gateway lists them) forwarded as
 * `grpcgateway-<name>`. `authorization` is forwarded under its own name,
 * `host` never (it travels as `x-forwarded-host`).
 */
const permanentHeaders = [
  "accept",
  "accept-charset",
  "accept-encoding",
  "accept-language",
  "accept-ranges",
  "cache-control",
  "content-type",
  "cookie",
  "date",
  "expect",
  "from",
  "if-match",
  "if-modified-since",
  "if-none-match",
  "if-schedule-tag-match",
  "if-unmodified-since",
  "max-forwards",
  "origin",
  "pragma",
  "referer",
  "user-agent",
  "via",
  "warning",
];

/** Header name → metadata key for the headers the default matcher forwards by name. */
const defaultKeys = new Map<string, string>([
  ...permanentHeaders.map((name): [string, string] => [name, gatewayMetadataPrefix + name]),
  ["authorization", "authorization"],
  ["traceparent", "traceparent"],
  ["tracestate", "tracestate"],
  ["x-request-id", "x-request-id"],
]);

/**
 * grpc-gateway's `DefaultHeaderMatcher`: `Grpc-Metadata-<key>` → `<key>`;
 * `Authorization` → `authorization`; W3C `traceparent`/`tracestate` and
 * `x-request-id` unchanged; other permanent HTTP request headers (`accept`,
 * `cookie`, `user-agent`, …) → `grpcgateway-<name>`; everything else dropped.
 *
 * @param name - the lower-cased header name
 */
export function defaultHeaderMatcher(name: string): string | undefined {
  const key = defaultKeys.get(name);
  if (key !== undefined) {
    return key;
  }
  if (name.startsWith(incomingPrefix)) {
    return name.slice(incomingPrefix.length);
  }
  return undefined;
}

/** Request headers that never reach the backend, whatever the matcher says. */
const neverForwarded = new Set([
  "connection",
  "keep-alive",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
  "host",
  "http2-settings",
  "grpc-timeout",
  // Added by the gateway itself when `peerAddress` is given.
  "x-forwarded-for",
  "x-forwarded-host",
]);

/**
 * Metadata keys that must not be sent: grpc-js/HTTP/2 set them or reject them
 * (Node's http2 throws on connection-specific headers), or they would change
 * how the call is made. The reserved list follows grpc-go's `isReservedHeader`,
 * plus HTTP/2 connection headers; every other `grpc-` key is dropped as well.
 */
const reservedKeys = new Set([
  "content-type",
  "content-length",
  "user-agent",
  "te",
  "host",
  "connection",
  "keep-alive",
  "proxy-connection",
  "transfer-encoding",
  "upgrade",
  "trailer",
  "http2-settings",
  "grpc-message-type",
  "grpc-encoding",
  "grpc-accept-encoding",
  "grpc-message",
  "grpc-status",
  "grpc-timeout",
  "grpc-status-details-bin",
]);

/** Result of {@link metadataFromHeaders}. */
export type MetadataFromHeadersResult =
  | { ok: true; metadata: Metadata }
  | { ok: false; message: string };

/** Options for {@link metadataFromHeaders}. */
export interface MetadataFromHeadersOptions {
  /** Replaces {@link defaultHeaderMatcher}. */
  headerMatcher?: HeaderMatcher | undefined;
  /**
   * The client's address (e.g. `req.socket.remoteAddress`). When given, the
   * metadata also gets `x-forwarded-for` (the request's value with this
   * address appended, see {@link forwardedFor}) and `x-forwarded-host` (the
   * request's `X-Forwarded-Host`, else its `Host`/`:authority`), as
   * grpc-gateway adds them. When absent, neither is added: the caller handles
   * them.
   */
  peerAddress?: string | undefined;
}

/**
 * Builds the outgoing gRPC metadata for an HTTP request from its headers
 * (Node's `req.headers`, lower-cased names).
 *
 * For each header: HTTP/2 pseudo headers, hop-by-hop headers (`Connection`,
 * `Keep-Alive`, `TE`, `Trailer`, `Transfer-Encoding`, `Upgrade`, `Proxy-*`,
 * `Host`, and any header named in `Connection`) and `grpc-timeout` are
 * skipped; the matcher picks the metadata key; keys with characters gRPC does
 * not allow (`[0-9a-z_.-]`) and reserved keys (`content-type`, `user-agent`,
 * and every `grpc-` key: `grpc-status`, `grpc-previous-rpc-attempts`, …) are dropped.
 *
 * Values: a key ending in `-bin` takes comma-separated standard base64
 * (padded or not), decoded to a `Buffer`; invalid base64 is an error result
 * naming the header. Other values must be printable ASCII (what grpc-js
 * accepts); an invalid one is an error result if the client asked for it
 * explicitly with a `Grpc-Metadata-` header, and silently dropped otherwise
 * (e.g. a cookie with UTF-8 in it must not fail the request).
 *
 * The result never makes grpc-js throw when the call is started.
 */
export function metadataFromHeaders(
  headers: IncomingHttpHeaders,
  options: MetadataFromHeadersOptions = {},
): MetadataFromHeadersResult {
  const matcher = options.headerMatcher ?? defaultHeaderMatcher;
  const connectionTokens = connectionHeaderTokens(headers.connection);
  const metadata = new Metadata();
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined) {
      continue;
    }
    if (
      name.charCodeAt(0) === 0x3a /* : */ ||
      neverForwarded.has(name) ||
      name.startsWith("proxy-") ||
      connectionTokens?.has(name) === true
    ) {
      continue;
    }
    const matched = matcher(name);
    if (typeof matched !== "string") {
      continue;
    }
    const key = matched.toLowerCase();
    if (!isForwardableKey(key)) {
      continue;
    }
    const error = addValues(metadata, key, value, name);
    if (error !== undefined) {
      return { ok: false, message: error };
    }
  }
  if (options.peerAddress !== undefined) {
    addForwarded(metadata, headers, options.peerAddress);
  }
  return { ok: true, metadata };
}

function connectionHeaderTokens(value: string | undefined): Set<string> | undefined {
  if (value === undefined || value.length === 0) {
    return undefined;
  }
  const tokens = new Set<string>();
  for (const token of value.split(",")) {
    const t = token.trim().toLowerCase();
    if (t.length > 0) {
      tokens.add(t);
    }
  }
  return tokens;
}

/** Whether `key` is a legal gRPC metadata key (`[0-9a-z_.-]+`) that is not reserved nor `grpc-`. */
function isForwardableKey(key: string): boolean {
  // gRPC reserves every `grpc-` key for itself (grpc-previous-rpc-attempts, grpc-internal-*, …).
  if (key.length === 0 || reservedKeys.has(key) || key.startsWith("grpc-")) {
    return false;
  }
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    const legal =
      (c >= 0x61 && c <= 0x7a) || // a-z
      (c >= 0x30 && c <= 0x39) || // 0-9
      c === 0x2d || // -
      c === 0x5f || // _
      c === 0x2e; // .
    if (!legal) {
      return false;
    }
  }
  return true;
}

/** Adds one header's values; returns an error message or undefined. */
function addValues(
  metadata: Metadata,
  key: string,
  value: string | string[],
  header: string,
): string | undefined {
  const values = typeof value === "string" ? [value] : value;
  if (key.endsWith("-bin")) {
    for (const v of values) {
      for (const part of v.split(",")) {
        const decoded = decodeBase64(part.trim());
        if (decoded === undefined) {
          return `invalid base64 in header "${header}"`;
        }
        metadata.add(key, decoded);
      }
    }
    return undefined;
  }
  for (const v of values) {
    if (isPrintableAscii(v)) {
      metadata.add(key, v);
    } else if (header.startsWith(incomingPrefix)) {
      return `header "${header}" has a value that is not printable ASCII`;
    }
  }
  return undefined;
}

function isPrintableAscii(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x20 || c > 0x7e) {
      return false;
    }
  }
  return true;
}

/** Decodes standard base64, padded or unpadded; undefined if malformed. */
function decodeBase64(value: string): Buffer | undefined {
  let end = value.length;
  if (end % 4 === 0 && end > 0 && value.charCodeAt(end - 1) === 0x3d /* = */) {
    end--;
    if (value.charCodeAt(end - 1) === 0x3d) {
      end--;
    }
  }
  if (end % 4 === 1) {
    return undefined;
  }
  for (let i = 0; i < end; i++) {
    const c = value.charCodeAt(i);
    const legal =
      (c >= 0x41 && c <= 0x5a) || // A-Z
      (c >= 0x61 && c <= 0x7a) || // a-z
      (c >= 0x30 && c <= 0x39) || // 0-9
      c === 0x2b || // +
      c === 0x2f; // /
    if (!legal) {
      return undefined;
    }
  }
  return Buffer.from(value, "base64");
}

function addForwarded(metadata: Metadata, headers: IncomingHttpHeaders, peer: string): void {
  const forwarded = forwardedFor(headers["x-forwarded-for"], peer);
  if (forwarded !== undefined && isPrintableAscii(forwarded)) {
    metadata.set("x-forwarded-for", forwarded);
  }
  const host =
    firstValue(headers["x-forwarded-host"]) ??
    headers.host ??
    firstValue((headers as Record<string, string | string[] | undefined>)[":authority"]);
  if (host !== undefined && host.length > 0 && isPrintableAscii(host)) {
    metadata.set("x-forwarded-host", host);
  }
}
