import type { CallMetadata } from "../core/metadata.js";
import { metadataHeaderPrefix, metadataTrailerPrefix } from "./header-matcher.js";

// Response metadata to HTTP headers (and trailers).

/**
 * Decides which response metadata keys become HTTP headers: receives the
 * metadata key and returns the full HTTP header name, or `undefined`/`false`
 * to drop it. The defaults are {@link defaultOutgoingHeaderMatcher} and
 * {@link defaultOutgoingTrailerMatcher}.
 */
export type OutgoingHeaderMatcher = (key: string) => string | undefined | false;

/** Metadata keys of a gRPC response that are protocol internals, never HTTP headers. */
const internalResponseKeys = new Set([
  "content-type",
  "grpc-status",
  "grpc-message",
  "grpc-status-details-bin",
  "grpc-encoding",
  "grpc-accept-encoding",
  "user-agent",
  // Node's http2 adds it to every response (also to a trailers-only error);
  // it is not metadata the backend chose to send.
  "date",
]);

/** grpc-gateway's default for response header metadata: `Grpc-Metadata-<key>`. */
export function defaultOutgoingHeaderMatcher(key: string): string {
  return metadataHeaderPrefix + key;
}

/** grpc-gateway's default for response trailer metadata: `Grpc-Trailer-<key>`. */
export function defaultOutgoingTrailerMatcher(key: string): string {
  return metadataTrailerPrefix + key;
}

/**
 * The HTTP headers for response metadata: `[name, value]` pairs, one per
 * value, in metadata order. Names are `prefix + key` (use
 * {@link metadataHeaderPrefix} for headers, {@link metadataTrailerPrefix} for
 * trailers), or whatever `matcher` returns instead (the full header name;
 * `undefined`/`false` drops the key). `-bin` values are base64-encoded.
 *
 * gRPC internals (`content-type`, `grpc-status`, `grpc-message`,
 * `grpc-status-details-bin`, `grpc-encoding`, `grpc-accept-encoding`,
 * `user-agent`, and `date`, which Node's http2 server adds) are always skipped, and so are names and values Node would
 * reject in `res.setHeader`.
 */
export function headersFromMetadata(
  metadata: CallMetadata,
  prefix: string = metadataHeaderPrefix,
  matcher?: OutgoingHeaderMatcher,
): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  const entries = metadata.toJSON();
  for (const key in entries) {
    if (internalResponseKeys.has(key) || key.charCodeAt(0) === 0x3a /* : */) {
      continue;
    }
    const name = matcher === undefined ? prefix + key : matcher(key);
    if (name === undefined || name === false || !isToken(name)) {
      continue;
    }
    for (const value of entries[key] ?? []) {
      const text = typeof value === "string" ? value : base64(value);
      if (isHeaderValue(text)) {
        out.push([name, text]);
      }
    }
  }
  return out;
}

function base64(bytes: Uint8Array): string {
  return Buffer.isBuffer(bytes)
    ? bytes.toString("base64")
    : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
}

/** RFC 9110 token: what Node accepts as a header name. */
function isToken(name: string): boolean {
  if (name.length === 0) {
    return false;
  }
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    const legal =
      (c >= 0x61 && c <= 0x7a) ||
      (c >= 0x41 && c <= 0x5a) ||
      (c >= 0x30 && c <= 0x39) ||
      "!#$%&'*+-.^_`|~".includes(name[i] as string);
    if (!legal) {
      return false;
    }
  }
  return true;
}

/** What Node accepts as a header value: HTAB, visible ASCII, space, obs-text. */
function isHeaderValue(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09) || c === 0x7f || c > 0xff) {
      return false;
    }
  }
  return true;
}
