import type { JsonValue } from "@bufbuild/protobuf";
import { type DescEnum, type DescField, type DescMessage, ScalarType } from "@bufbuild/protobuf";
import { protoCamelCase } from "@bufbuild/protobuf/reflect";
import { isWrapperDesc } from "@bufbuild/protobuf/wkt";

/**
 * Outcome of a hot-path parser: a value, or a message saying why the input is
 * not acceptable. Parsers in this package return it instead of throwing.
 */
export type ParseResult<T> = { ok: true; value: T } | { ok: false; message: string };

/**
 * Converts one raw URL string (a query value or a path variable, already
 * decoded) into the proto3 JSON value `fromJson` accepts for a field.
 * On failure, `message` is the reason only (e.g. `not an integer`); callers
 * add the parameter name.
 */
export type JsonValueParser = (raw: string) => ParseResult<JsonValue>;

/** @internal */
export function ok<T>(value: T): ParseResult<T> {
  return { ok: true, value };
}

/** @internal */
export function fail(message: string): { ok: false; message: string } {
  return { ok: false, message };
}

/** @internal Quotes user input for an error message, shortened when long. */
export function quote(s: string): string {
  return JSON.stringify(s.length > 100 ? `${s.slice(0, 100)}…` : s);
}

const parsers = new WeakMap<DescField, JsonValueParser | undefined>();

/**
 * Returns the parser for one value of a field: the field's own type for a
 * singular field, the element type for a list, the value type for a map.
 * Returns undefined when the type cannot be written as a URL string: messages
 * other than the well-known types with a scalar JSON form. Cached per field.
 */
export function valueParserFor(field: DescField): JsonValueParser | undefined {
  if (parsers.has(field)) return parsers.get(field);
  let parser: JsonValueParser | undefined;
  if (field.scalar !== undefined) {
    parser = scalarParser(field.scalar);
  } else if (field.enum !== undefined) {
    const desc = field.enum;
    parser = (raw) => enumFromString(desc, raw);
  } else if (field.message !== undefined) {
    parser = messageParser(field.message);
  }
  parsers.set(field, parser);
  return parser;
}

/** Returns the parser for a scalar type. */
export function scalarParser(type: ScalarType): JsonValueParser {
  switch (type) {
    case ScalarType.STRING:
      return ok;
    case ScalarType.BOOL:
      return boolFromString;
    case ScalarType.INT32:
    case ScalarType.SINT32:
    case ScalarType.SFIXED32:
      return int32FromString;
    case ScalarType.UINT32:
    case ScalarType.FIXED32:
      return uint32FromString;
    case ScalarType.INT64:
    case ScalarType.SINT64:
    case ScalarType.SFIXED64:
      return int64FromString;
    case ScalarType.UINT64:
    case ScalarType.FIXED64:
      return uint64FromString;
    case ScalarType.FLOAT:
      return floatFromString;
    case ScalarType.DOUBLE:
      return doubleFromString;
    case ScalarType.BYTES:
      return bytesFromString;
  }
}

/**
 * Converts a map key from a URL into the canonical proto3 JSON object key:
 * integers in canonical decimal form (so `01` and `1` are one key), bools as
 * `true`/`false`, strings unchanged.
 */
export function mapKeyFromString(type: ScalarType, raw: string): ParseResult<string> {
  if (type === ScalarType.STRING) return ok(raw);
  const r = scalarParser(type)(raw);
  if (!r.ok) return r;
  return ok(String(r.value));
}

/**
 * Accepts what Go's `strconv.ParseBool` accepts, like grpc-gateway:
 * `1 t T TRUE true True` and `0 f F FALSE false False`.
 */
export function boolFromString(raw: string): ParseResult<JsonValue> {
  switch (raw) {
    case "true":
    case "1":
    case "t":
    case "T":
    case "TRUE":
    case "True":
      return ok(true);
    case "false":
    case "0":
    case "f":
    case "F":
    case "FALSE":
    case "False":
      return ok(false);
  }
  return fail("not a bool");
}

/**
 * Checks `[+-]?[0-9]+` and returns the canonical decimal string (no plus
 * sign, no leading zeros, no `-0`), or undefined.
 */
function canonicalInteger(raw: string, signed: boolean): string | undefined {
  const len = raw.length;
  let i = 0;
  let negative = false;
  if (len > 0) {
    const c = raw.charCodeAt(0);
    if (c === 43 /* + */ || c === 45 /* - */) {
      if (!signed) return undefined;
      negative = c === 45;
      i = 1;
    }
  }
  if (i === len) return undefined;
  let start = -1;
  for (let j = i; j < len; j++) {
    const c = raw.charCodeAt(j);
    if (c < 48 || c > 57) return undefined;
    if (start < 0 && c !== 48) start = j;
  }
  if (start < 0) return "0";
  if (i === 0 && start === 0) return raw;
  const digits = raw.slice(start);
  return negative ? `-${digits}` : digits;
}

function int32FromString(raw: string): ParseResult<JsonValue> {
  const s = canonicalInteger(raw, true);
  if (s === undefined) return fail("not an integer");
  const n = s.length <= 11 ? Number(s) : Number.NaN;
  if (!(n >= -2147483648 && n <= 2147483647)) return fail("out of range for int32");
  return ok(n);
}

function uint32FromString(raw: string): ParseResult<JsonValue> {
  const s = canonicalInteger(raw, false);
  if (s === undefined) return fail("not an unsigned integer");
  const n = s.length <= 10 ? Number(s) : Number.NaN;
  if (!(n <= 4294967295)) return fail("out of range for uint32");
  return ok(n);
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;

/** 64-bit integers stay decimal strings: no precision lost through Number. */
function int64FromString(raw: string): ParseResult<JsonValue> {
  const s = canonicalInteger(raw, true);
  if (s === undefined) return fail("not an integer");
  // Up to 18 digits always fits; longer values are checked exactly.
  if (s.length > 18) {
    const n = s.length <= 20 ? BigInt(s) : INT64_MAX + 1n;
    if (n < INT64_MIN || n > INT64_MAX) return fail("out of range for int64");
  }
  return ok(s);
}

function uint64FromString(raw: string): ParseResult<JsonValue> {
  const s = canonicalInteger(raw, false);
  if (s === undefined) return fail("not an unsigned integer");
  if (s.length > 19) {
    const n = s.length <= 20 ? BigInt(s) : UINT64_MAX + 1n;
    if (n > UINT64_MAX) return fail("out of range for uint64");
  }
  return ok(s);
}

/** Checks the decimal grammar `[+-]?(d+(.d*)?|.d+)([eE][+-]?d+)?`. */
function isDecimal(raw: string): boolean {
  const len = raw.length;
  let i = 0;
  let c = raw.charCodeAt(0);
  if (c === 43 || c === 45) c = raw.charCodeAt(++i);
  let digits = 0;
  while (c >= 48 && c <= 57) {
    digits++;
    c = raw.charCodeAt(++i);
  }
  if (c === 46 /* . */) {
    c = raw.charCodeAt(++i);
    while (c >= 48 && c <= 57) {
      digits++;
      c = raw.charCodeAt(++i);
    }
  }
  if (digits === 0) return false;
  if (c === 101 || c === 69 /* e E */) {
    c = raw.charCodeAt(++i);
    if (c === 43 || c === 45) c = raw.charCodeAt(++i);
    let exp = 0;
    while (c >= 48 && c <= 57) {
      exp++;
      c = raw.charCodeAt(++i);
    }
    if (exp === 0) return false;
  }
  return i === len;
}

/**
 * Decimal numbers, plus the proto3 JSON strings `NaN`, `Infinity`,
 * `-Infinity` and, like Go's `strconv.ParseFloat`, `inf`/`+inf`/`-inf`/
 * `infinity`/`nan` in any case. Finite results become JSON numbers.
 */
function floatingFromString(raw: string, max: number, type: string): ParseResult<JsonValue> {
  if (isDecimal(raw)) {
    const n = Number(raw);
    if (n > max || n < -max) return fail(`out of range for ${type}`);
    return ok(n);
  }
  switch (raw.toLowerCase()) {
    case "nan":
      return ok("NaN");
    case "inf":
    case "+inf":
    case "infinity":
    case "+infinity":
      return ok("Infinity");
    case "-inf":
    case "-infinity":
      return ok("-Infinity");
  }
  return fail("not a number");
}

const FLOAT32_MAX = 3.4028234663852886e38;

function floatFromString(raw: string): ParseResult<JsonValue> {
  return floatingFromString(raw, FLOAT32_MAX, "float");
}

function doubleFromString(raw: string): ParseResult<JsonValue> {
  return floatingFromString(raw, Number.MAX_VALUE, "double");
}

/**
 * Standard or URL-safe base64, with or without padding, normalized to
 * standard padded base64. A space counts as `+`: base64 never contains
 * spaces, and an unescaped `+` in a query string arrives as one.
 */
export function bytesFromString(raw: string): ParseResult<JsonValue> {
  let len = raw.length;
  while (len > 0 && raw.charCodeAt(len - 1) === 61 /* = */) len--;
  if (raw.length - len > 2) return fail("not base64: too much padding");
  let normalized = false;
  for (let i = 0; i < len; i++) {
    const c = raw.charCodeAt(i);
    if (
      (c >= 65 && c <= 90) ||
      (c >= 97 && c <= 122) ||
      (c >= 48 && c <= 57) ||
      c === 43 ||
      c === 47
    ) {
      continue;
    }
    if (c === 45 || c === 95 || c === 32) {
      normalized = true;
      continue;
    }
    return fail("not base64");
  }
  const rem = len % 4;
  if (rem === 1) return fail("not base64: bad length");
  if (raw.length !== len && raw.length % 4 !== 0) {
    return fail("not base64: bad padding");
  }
  let out = raw.slice(0, len);
  if (normalized) {
    out = out.replaceAll("-", "+").replaceAll("_", "/").replaceAll(" ", "+");
  }
  if (rem === 2) out += "==";
  else if (rem === 3) out += "=";
  return ok(out);
}

/**
 * An enum value by name, or by number when the number is declared (like
 * grpc-gateway, undeclared numbers are rejected). Returns the value's name.
 */
export function enumFromString(desc: DescEnum, raw: string): ParseResult<JsonValue> {
  const byName = desc.values.find((v) => v.name === raw);
  if (byName !== undefined) return ok(byName.name);
  const num = canonicalInteger(raw, true);
  if (num !== undefined && num.length <= 11) {
    const byNumber = desc.value[Number(num)];
    if (byNumber !== undefined) return ok(byNumber.name);
  }
  return fail(`not a value of enum ${desc.typeName}`);
}

/**
 * The parser for a message type given as one URL string, or undefined when
 * the message has no string form (every type but the well-known ones below).
 * `google.protobuf.Any` gets a parser that always fails with an explanation.
 */
export function messageParser(desc: DescMessage): JsonValueParser | undefined {
  if (isWrapperDesc(desc)) return scalarParser(desc.fields[0].scalar);
  switch (desc.typeName) {
    case "google.protobuf.Timestamp":
      return timestampFromString;
    case "google.protobuf.Duration":
      return durationFromString;
    case "google.protobuf.FieldMask":
      return fieldMaskFromString;
    case "google.protobuf.Struct":
      return (raw) => jsonTextOf(raw, "object");
    case "google.protobuf.ListValue":
      return (raw) => jsonTextOf(raw, "array");
    case "google.protobuf.Value":
      return valueFromString;
    case "google.protobuf.Any":
      return () =>
        fail("google.protobuf.Any cannot be given as a URL parameter; send it in the body");
  }
  return undefined;
}

function isDigits(s: string, from: number, to: number): boolean {
  if (from >= to) return false;
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

const MIN_TIMESTAMP = Date.parse("0001-01-01T00:00:00Z");
const MAX_TIMESTAMP = Date.parse("9999-12-31T23:59:59Z");

/**
 * RFC 3339 (`2024-05-01T12:00:00.5Z`, `…+02:00`), with up to 9 fractional
 * digits, in the range protobuf allows. Lenient on two things a URL does to
 * timestamps: lower-case `t`/`z` are upper-cased, and a space before the
 * offset (an unescaped `+` in a query string) is read as `+`.
 */
export function timestampFromString(raw: string): ParseResult<JsonValue> {
  const bad = fail("not an RFC 3339 timestamp");
  const len = raw.length;
  if (len < 20) return bad;
  if (
    raw.charCodeAt(4) !== 45 ||
    raw.charCodeAt(7) !== 45 ||
    raw.charCodeAt(13) !== 58 ||
    raw.charCodeAt(16) !== 58 ||
    !isDigits(raw, 0, 4) ||
    !isDigits(raw, 5, 7) ||
    !isDigits(raw, 8, 10) ||
    !isDigits(raw, 11, 13) ||
    !isDigits(raw, 14, 16) ||
    !isDigits(raw, 17, 19)
  ) {
    return bad;
  }
  const t = raw.charCodeAt(10);
  if (t !== 84 /* T */ && t !== 116 /* t */) return bad;
  let i = 19;
  if (raw.charCodeAt(i) === 46 /* . */) {
    const from = ++i;
    while (i < len && raw.charCodeAt(i) >= 48 && raw.charCodeAt(i) <= 57) i++;
    if (i === from || i - from > 9) return bad;
  }
  let zone: string;
  const z = raw.charCodeAt(i);
  if (z === 90 /* Z */ || z === 122 /* z */) {
    if (i + 1 !== len) return bad;
    zone = "Z";
  } else if (z === 43 /* + */ || z === 45 /* - */ || z === 32 /* space */) {
    if (i + 6 !== len || raw.charCodeAt(i + 3) !== 58) return bad;
    if (!isDigits(raw, i + 1, i + 3) || !isDigits(raw, i + 4, i + 6)) return bad;
    zone = z === 32 ? `+${raw.slice(i + 1)}` : raw.slice(i);
  } else {
    return bad;
  }
  const head = t === 84 ? raw.slice(0, 19) : `${raw.slice(0, 10)}T${raw.slice(11, 19)}`;
  // Date.parse validates the calendar (month 13, hour 25 and the like are NaN).
  const ms = Date.parse(head + zone);
  if (Number.isNaN(ms)) return bad;
  if (ms < MIN_TIMESTAMP || ms > MAX_TIMESTAMP) return fail("timestamp out of range");
  return ok(head + raw.slice(19, i) + zone);
}

/** Proto3 JSON duration: `[-]seconds[.fraction]s`, up to 9 fractional digits. */
export function durationFromString(raw: string): ParseResult<JsonValue> {
  const bad = fail('not a duration (expected seconds with an "s" suffix, like "1.5s")');
  const len = raw.length;
  if (len < 2 || raw.charCodeAt(len - 1) !== 115 /* s */) return bad;
  let i = raw.charCodeAt(0) === 45 ? 1 : 0;
  const intStart = i;
  while (i < len - 1 && raw.charCodeAt(i) >= 48 && raw.charCodeAt(i) <= 57) i++;
  if (i === intStart) return bad;
  const intEnd = i;
  if (i < len - 1) {
    if (raw.charCodeAt(i) !== 46) return bad;
    if (!isDigits(raw, i + 1, len - 1) || len - 1 - (i + 1) > 9) return bad;
  }
  if (intEnd - intStart > 12 || Number(raw.slice(intStart, intEnd)) > 315576000000) {
    return fail("duration out of range");
  }
  return ok(raw);
}

/**
 * Comma-separated paths, each segment a proto name (`update_time`) or a JSON
 * name (`updateTime`); rewritten to the lowerCamelCase JSON form `fromJson`
 * requires. A segment whose snake_case form would not survive the round trip
 * (e.g. `a__b`, `a_1`, `A_b`) is rejected rather than silently changed.
 */
export function fieldMaskFromString(raw: string): ParseResult<JsonValue> {
  if (raw === "") return ok("");
  if (raw.indexOf("_") < 0) return checkMaskChars(raw);
  const paths = raw.split(",");
  for (let p = 0; p < paths.length; p++) {
    const segments = paths[p]!.split(".");
    for (let s = 0; s < segments.length; s++) {
      const seg = segments[s]!;
      if (seg.indexOf("_") < 0) continue;
      const camel = protoCamelCase(seg);
      if (snakeOf(camel) !== seg) {
        return fail(`field mask path segment "${seg}" has no lowerCamelCase form`);
      }
      segments[s] = camel;
    }
    paths[p] = segments.join(".");
  }
  return checkMaskChars(paths.join(","));
}

function snakeOf(camel: string): string {
  let out = "";
  for (let i = 0; i < camel.length; i++) {
    const c = camel.charCodeAt(i);
    out += c >= 65 && c <= 90 ? `_${String.fromCharCode(c + 32)}` : camel[i];
  }
  return out;
}

function checkMaskChars(mask: string): ParseResult<JsonValue> {
  for (let i = 0; i < mask.length; i++) {
    const c = mask.charCodeAt(i);
    const word = (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57);
    if (!word && c !== 46 && c !== 44) return fail("not a field mask");
  }
  return ok(mask);
}

function parseJsonText(raw: string): ParseResult<JsonValue> {
  try {
    return ok(JSON.parse(raw) as JsonValue);
  } catch {
    return fail("not valid JSON");
  }
}

function jsonTextOf(raw: string, kind: "object" | "array"): ParseResult<JsonValue> {
  const r = parseJsonText(raw);
  if (!r.ok) return r;
  const v = r.value;
  const isArray = Array.isArray(v);
  if (v === null || typeof v !== "object" || isArray !== (kind === "array")) {
    return fail(`not a JSON ${kind}`);
  }
  return r;
}

/** JSON text, or, when the text is not JSON, the raw text as a string value. */
function valueFromString(raw: string): ParseResult<JsonValue> {
  const c = raw.charCodeAt(0);
  // Only attempt JSON.parse when the text can start a JSON value.
  const maybeJson =
    c === 123 ||
    c === 91 ||
    c === 34 ||
    c === 45 ||
    (c >= 48 && c <= 57) ||
    c === 116 ||
    c === 102 ||
    c === 110;
  if (maybeJson) {
    const r = parseJsonText(raw);
    if (r.ok) return r;
  }
  return ok(raw);
}
