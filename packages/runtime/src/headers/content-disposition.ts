import type { ServerResponse } from "node:http";
import type { CallMetadata } from "../core/metadata.js";

/**
 * Response header metadata a backend sets to make the gateway answer with a
 * `Content-Disposition` header, so a browser saves the body (a server stream
 * of `google.api.HttpBody` chunks, or a unary HttpBody) under a name:
 * `content-disposition` as it should be sent (`attachment; filename="a.csv"`),
 * or just the name in `x-download-filename` (`a.csv`; gRPC metadata is
 * ASCII, so any other character percent-encoded in UTF-8: `r%C3%A9sum%C3%A9.pdf`).
 */
export const contentDispositionMetadataKey = "content-disposition";
/** See {@link contentDispositionMetadataKey}. */
export const downloadFilenameMetadataKey = "x-download-filename";

/**
 * Moves a backend's `content-disposition` or `x-download-filename` response
 * metadata to the `Content-Disposition` header (and out of the metadata, so
 * it is not also sent as `Grpc-Metadata-*`). A value with control characters,
 * or a disposition other than `inline` or `attachment`, is dropped.
 * @internal
 */
export function writeContentDisposition(res: ServerResponse, metadata: CallMetadata): void {
  const given = metadata.get(contentDispositionMetadataKey)[0];
  const filename = metadata.get(downloadFilenameMetadataKey)[0];
  if (given === undefined && filename === undefined) return;
  metadata.remove(contentDispositionMetadataKey);
  metadata.remove(downloadFilenameMetadataKey);
  const value =
    typeof given === "string"
      ? validDisposition(given)
      : typeof filename === "string"
        ? attachment(filename)
        : undefined;
  if (value !== undefined && !res.headersSent) res.setHeader("Content-Disposition", value);
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it refuses
const control = /[\u0000-\u001f\u007f]/;

function validDisposition(value: string): string | undefined {
  if (control.test(value)) return undefined;
  return /^(inline|attachment)\s*(;|$)/i.test(value.trim()) ? value.trim() : undefined;
}

/**
 * `attachment` with the name as RFC 6266 wants it: the last path segment, an
 * ASCII `filename` (others replaced by `_`, quotes and backslashes escaped)
 * for old clients and `filename*` in UTF-8 for the rest. @internal
 */
export function attachment(filename: string): string | undefined {
  let decoded = filename;
  try {
    decoded = decodeURIComponent(filename);
  } catch {
    // Not percent-encoded: the name as sent.
  }
  const name = decoded.split(/[/\\]/).pop()?.trim() ?? "";
  if (name === "" || name === "." || name === ".." || control.test(name)) return undefined;
  const ascii = name.replace(/[^\x20-\x7e]/g, "_").replace(/["\\]/g, "\\$&");
  const encoded = encodeURIComponent(name).replace(
    /['()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}
