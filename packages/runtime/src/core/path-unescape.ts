/**
 * Percent-decoding of request path segments and captured path variables.
 *
 * Decoders never throw: a malformed escape (`%zz`, a truncated `%4`) or
 * escapes that decode to invalid UTF-8 give an {@link UnescapeFailure}.
 *
 * @module
 */

/**
 * How captured path variables are percent-decoded.
 *
 * A variable that captures a single segment (`{id}`, `{id=*}`, `{id=lit}`) is
 * always fully decoded: its segment boundaries are already known, so a decoded
 * `/` cannot be confused with a separator. The mode decides what happens in a
 * variable that spans several segments (`{name=shelves/*}`, `{path=**}`), where
 * the captured segments are joined with `/`:
 *
 * - `"spec"` (default, grpc-gateway's default): decode everything except the
 *   RFC 6570 reserved characters `:/?#[]@!$&'()*+,;=`, which stay encoded, so
 *   `%2F` stays `%2F` and cannot be mistaken for a separator.
 * - `"all-except-slash"`: decode everything except `%2F` (the wording of
 *   google/api/http.proto for multi-segment variables).
 * - `"all"`: decode everything; `a%2Fb/c` and `a/b/c` give the same value.
 *
 * In the two modes that keep something encoded, `%25` (`%`) also stays
 * encoded, so that a kept `%2F` is never ambiguous with a decoded `%252F`.
 * Kept escapes are passed on as written (`%2f` stays `%2f`).
 */
export type UnescapeMode = "spec" | "all-except-slash" | "all";

/** Why a path could not be decoded; returned, never thrown. */
export interface UnescapeFailure {
  readonly error: string;
}

const RESERVED = ":/?#[]@!$&'()*+,;=%";

function keepTable(chars: string): Uint8Array {
  const table = new Uint8Array(128);
  for (let i = 0; i < chars.length; i++) table[chars.charCodeAt(i)] = 1;
  return table;
}

const KEEP_RESERVED = keepTable(RESERVED);
const KEEP_SLASH = keepTable("/%");

function hexValue(code: number): number {
  if (code >= 48 && code <= 57) return code - 48; // 0-9
  if (code >= 65 && code <= 70) return code - 55; // A-F
  if (code >= 97 && code <= 102) return code - 87; // a-f
  return -1;
}

/** Explains why `raw` cannot be decoded (only called on failure). */
function describe(raw: string): UnescapeFailure {
  for (let i = raw.indexOf("%"); i !== -1; i = raw.indexOf("%", i + 1)) {
    if (hexValue(raw.charCodeAt(i + 1)) < 0 || hexValue(raw.charCodeAt(i + 2)) < 0) {
      return { error: `malformed percent-encoding ${JSON.stringify(raw.slice(i, i + 3))} in path` };
    }
  }
  return { error: "percent-encoded bytes in path are not valid UTF-8" };
}

/**
 * Fully decodes one path segment (or any text without structure).
 * Returns the input itself when it holds no `%`.
 */
export function unescapeAll(raw: string): string | UnescapeFailure {
  if (raw.indexOf("%") === -1) return raw;
  try {
    return decodeURIComponent(raw);
  } catch {
    return describe(raw);
  }
}

/** Decodes `raw` but keeps (as written) the escapes of the ASCII bytes marked in `keep`. */
function unescapeKeeping(raw: string, keep: Uint8Array): string | UnescapeFailure {
  let i = raw.indexOf("%");
  if (i === -1) return raw;
  let out = "";
  let from = 0;
  while (i !== -1) {
    const hi = hexValue(raw.charCodeAt(i + 1));
    const lo = hexValue(raw.charCodeAt(i + 2));
    if (hi < 0 || lo < 0) return describe(raw);
    const byte = hi * 16 + lo;
    if (byte < 128 && keep[byte] === 1) {
      const chunk = unescapeAll(raw.slice(from, i));
      if (typeof chunk !== "string") return describe(raw);
      out += chunk + raw.slice(i, i + 3);
      from = i + 3;
    }
    i = raw.indexOf("%", i + 3);
  }
  const rest = unescapeAll(raw.slice(from));
  if (typeof rest !== "string") return describe(raw);
  return out + rest;
}

/**
 * Decodes the value of a variable that spans several segments (already
 * joined with `/`) according to `mode`.
 */
export function unescapeMultiSegment(raw: string, mode: UnescapeMode): string | UnescapeFailure {
  switch (mode) {
    case "spec":
      return unescapeKeeping(raw, KEEP_RESERVED);
    case "all-except-slash":
      return unescapeKeeping(raw, KEEP_SLASH);
    case "all":
      return unescapeAll(raw);
  }
}

/** Whether `mode` is one of the known {@link UnescapeMode} values. */
export function isUnescapeMode(mode: unknown): mode is UnescapeMode {
  return mode === "spec" || mode === "all-except-slash" || mode === "all";
}
