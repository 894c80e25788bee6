import {
  type DescEnum,
  type DescField,
  type DescMessage,
  type JsonObject,
  type JsonValue,
  type JsonWriteOptions,
  protoInt64,
  ScalarType,
  toJson,
} from "@bufbuild/protobuf";
import { base64Encode } from "@bufbuild/protobuf/wire";
import { mapKeyReflect } from "./map-key-reflect.js";

/** The `toJson` options the compiled writer takes (all of them, resolved). @internal */
export type CompiledJsonOptions = Partial<
  Pick<JsonWriteOptions, "alwaysEmitImplicit" | "enumAsInteger" | "useProtoFieldName" | "registry">
>;

/**
 * Converts a message to its proto3 JSON value, equal to
 * `toJson(schema, message, options)`, through a converter compiled once per
 * schema and option set: the fields are visited in the order toJson uses (by
 * number) and assigned to a plain object the same way, with their keys and
 * value conversions precomputed. Messages
 * toJson treats specially — well-known types with a custom JSON form, fields
 * holding wrappers or Struct, required fields — and any
 * message carrying unknown fields (possible extensions) are handed to toJson
 * itself, one sub-message at a time. If a value does not have the type its
 * field wants, the whole message is converted by toJson, which throws its own
 * error.
 * @internal
 */
export function compiledToJson(
  schema: DescMessage,
  message: unknown,
  options: CompiledJsonOptions,
): JsonValue {
  const json = convertCompiled(schema, message, options);
  return json === failed ? toJson(schema, message as never, options) : json;
}

/** What convertCompiled returns when toJson has to do the conversion. @internal */
export const failed: unique symbol = Symbol("failed");

/**
 * The compiled conversion alone: the JSON value, or `failed` where a value does
 * not have its field's type (toJson then throws or decides). For tests.
 * @internal
 */
export function convertCompiled(
  schema: DescMessage,
  message: unknown,
  options: CompiledJsonOptions,
): JsonValue | typeof failed {
  const flags =
    (options.alwaysEmitImplicit === true ? 1 : 0) |
    (options.useProtoFieldName === true ? 2 : 0) |
    (options.enumAsInteger === true ? 4 : 0);
  try {
    return writerOf(schema, flags)(message as Msg, options);
  } catch {
    return failed;
  }
}

type Msg = Record<string, unknown>;
type Writer = (message: Msg, options: CompiledJsonOptions) => JsonValue;

const IMPLICIT = 2;
const LEGACY_REQUIRED = 3;

/** Thrown when a value is not what its field wants; the caller re-runs toJson. */
class Bail extends Error {}
const bail = new Bail("bail");

const writers = new WeakMap<DescMessage, Array<Writer | undefined>>();

function writerOf(desc: DescMessage, flags: number): Writer {
  let byFlags = writers.get(desc);
  if (byFlags === undefined) {
    byFlags = [];
    writers.set(desc, byFlags);
  }
  let w = byFlags[flags];
  if (w === undefined) {
    // A forwarding stub first, so recursive message types resolve lazily.
    let compiled: Writer | undefined;
    byFlags[flags] = (m, o) => (compiled as Writer)(m, o);
    compiled = compileMessage(desc, flags);
    byFlags[flags] = compiled;
    w = compiled;
  }
  return w;
}

/** Messages whose JSON toJson produces by other rules than the field loop below. */
function delegated(desc: DescMessage): boolean {
  if (desc.typeName.startsWith("google.protobuf.")) return true;
  for (const f of desc.fields) {
    if (f.presence === LEGACY_REQUIRED) return true;
    const m = f.message;
    if (m === undefined) continue;
    if (m.typeName === "google.protobuf.Struct") return true;
    if (f.fieldKind === "message" && f.oneof === undefined && isWrapperName(m.typeName))
      return true;
  }
  return false;
}

function isWrapperName(typeName: string): boolean {
  switch (typeName) {
    case "google.protobuf.DoubleValue":
    case "google.protobuf.FloatValue":
    case "google.protobuf.Int64Value":
    case "google.protobuf.UInt64Value":
    case "google.protobuf.Int32Value":
    case "google.protobuf.UInt32Value":
    case "google.protobuf.BoolValue":
    case "google.protobuf.StringValue":
    case "google.protobuf.BytesValue":
      return true;
    default:
      return false;
  }
}

function compileMessage(desc: DescMessage, flags: number): Writer {
  const typeName = desc.typeName;
  if (delegated(desc))
    return (m, o) => {
      if (m === null || typeof m !== "object" || m.$typeName !== typeName) throw bail;
      return toJson(desc, m as never, o);
    };
  const emitImplicit = (flags & 1) !== 0;
  const protoNames = (flags & 2) !== 0;
  const helpers: unknown[] = [];
  const ref = (value: unknown): string => {
    helpers.push(value);
    return `h[${helpers.length - 1}]`;
  };
  // reflectToJson's loop, unrolled: for each field by number, "is set" (or written
  // anyway with alwaysEmitImplicit and implicit presence), get, fieldToJson, assign.
  const lines: string[] = [];
  for (const f of desc.fields.concat().sort((a, b) => a.number - b.number)) {
    const key = JSON.stringify(protoNames ? f.name : f.jsonName);
    const local = `m[${JSON.stringify(f.localName)}]`;
    const oneof = f.oneof === undefined ? undefined : `m[${JSON.stringify(f.oneof.localName)}]`;
    const name = JSON.stringify(f.localName);
    const emitUnset = emitImplicit && f.presence === IMPLICIT;
    const isSet = emitUnset ? "true" : isSetSource(f, local, oneof, name, ref);
    const get =
      oneof === undefined ? local : `(${oneof}.case === ${name} ? ${oneof}.value : undefined)`;
    lines.push(`  if (${isSet}) {
    v = ${get};
${valueSource(f, flags, emitImplicit, ref)}
    if (v !== undefined) json[${key}] = v;
  }`);
  }
  const source = `return function convert(m, o) {
  if (m === null || typeof m !== "object" || m.$typeName !== ${JSON.stringify(typeName)}) throw bail;
  const unknown = m.$unknown;
  if (unknown !== undefined && unknown.length > 0) return delegate(m, o);
  const json = {};
  let v;
${lines.join("\n")}
  return json;
};`;
  // toJson looks unknown fields up as extensions in the registry.
  const delegate = (m: Msg, o: CompiledJsonOptions) => toJson(desc, m as never, o);
  return new Function("h", "bail", "delegate", "hasOwn", source)(
    helpers,
    bail,
    delegate,
    Object.hasOwn,
  ) as Writer;
}

/** protobuf-es' unsafeIsSet as a source expression. */
function isSetSource(
  f: DescField,
  local: string,
  oneof: string | undefined,
  name: string,
  ref: (value: unknown) => string,
): string {
  if (oneof !== undefined) return `${oneof}.case === ${name}`;
  if (f.presence !== IMPLICIT) return `${local} !== undefined && hasOwn(m, ${name})`;
  switch (f.fieldKind) {
    case "list":
      return `${local}.length > 0`;
    case "map":
      return `Object.keys(${local}).length > 0`;
    case "enum":
      return `${local} !== ${f.enum.values[0]?.number}`;
    case "scalar":
      switch (f.scalar) {
        case ScalarType.BOOL:
          return `${local} !== false`;
        case ScalarType.STRING:
          return `${local} !== ""`;
        case ScalarType.BYTES:
        case ScalarType.DOUBLE:
        case ScalarType.FLOAT:
          return `!${ref(zeroTest(f))}(${local})`;
        default:
          // protobuf-es matches 0n, 0 and "0" loosely.
          return `!(${local} == 0)`;
      }
    case "message":
      // toJson throws "message field with implicit presence".
      return `${ref(() => {
        throw bail;
      })}()`;
  }
}

/** Statements turning `v` (the field's value) into its JSON, as fieldToJson does. */
function valueSource(
  f: DescField,
  flags: number,
  emitImplicit: boolean,
  ref: (value: unknown) => string,
): string {
  if (f.fieldKind === "scalar") {
    switch (f.scalar) {
      case ScalarType.STRING:
        return `    if (typeof v !== "string") throw bail;`;
      case ScalarType.BOOL:
        return `    if (typeof v !== "boolean") throw bail;`;
      case ScalarType.INT32:
      case ScalarType.SFIXED32:
      case ScalarType.SINT32:
      case ScalarType.FIXED32:
      case ScalarType.UINT32:
        return `    if (typeof v !== "number") throw bail;`;
      default:
        break;
    }
  }
  return `    v = ${ref(fieldValueJson(f, flags, emitImplicit))}(v, o);`;
}

/** Converts one value (as protobuf-es' get rules read it) to JSON. */
type ValueJson = (value: unknown, options: CompiledJsonOptions) => JsonValue;

/** fieldToJson: the JSON of a field's value, undefined for an omitted empty list or map. */
function fieldValueJson(
  f: DescField,
  flags: number,
  emitImplicit: boolean,
): (value: unknown, options: CompiledJsonOptions) => JsonValue | undefined {
  const enumAsInteger = (flags & 4) !== 0;
  switch (f.fieldKind) {
    case "list": {
      const item =
        f.listKind === "message"
          ? messageJson(f.message, flags)
          : valueJson(f, enumAsInteger, true);
      return (arr, o) => {
        if (!Array.isArray(arr)) throw bail;
        if (arr.length === 0) return emitImplicit ? [] : undefined;
        const out: JsonValue[] = [];
        for (const v of arr) out.push(item(v, o));
        return out;
      };
    }
    case "map": {
      const value =
        f.mapKind === "message"
          ? messageJson(f.message, flags)
          : valueJson(f, enumAsInteger, false);
      // As toJson: the key back to its type (mapKeyToReflect), then String() again.
      const reflect = mapKeyReflect(f.mapKey);
      const key = (k: string): string => String(reflect(k));
      return (obj, o) => {
        if (obj === null || typeof obj !== "object") throw bail;
        const keys = Object.keys(obj);
        if (keys.length === 0) return emitImplicit ? {} : undefined;
        // Assigned like toJson's mapToJson (same key conversion, same __proto__ and key-order effects).
        const json: JsonObject = {};
        for (const k of keys) json[key(k)] = value((obj as Record<string, unknown>)[k], o);
        return json;
      };
    }
    case "message":
      return messageJson(f.message, flags);
    case "enum":
    case "scalar":
      return valueJson(f, enumAsInteger, true);
  }
}

/** protobuf-es' implicit-presence "is unset" test for a singular scalar or enum. */
function zeroTest(f: DescField): (v: unknown) => boolean {
  if (f.fieldKind === "enum") {
    const first = f.enum.values[0]?.number;
    return (v) => v === first;
  }
  switch (f.scalar as ScalarType) {
    case ScalarType.BOOL:
      return (v) => v === false;
    case ScalarType.STRING:
      return (v) => v === "";
    case ScalarType.BYTES:
      return (v) => v instanceof Uint8Array && !v.byteLength;
    case ScalarType.DOUBLE:
    case ScalarType.FLOAT:
      return (v) => Object.is(v, 0);
    default:
      // biome-ignore lint/suspicious/noDoubleEquals: protobuf-es matches 0n, 0 and "0" loosely
      return (v) => v == 0;
  }
}

function messageJson(desc: DescMessage, flags: number): ValueJson {
  let w: Writer | undefined;
  return (v, o) => {
    if (w === undefined) w = writerOf(desc, flags);
    return w(v as Msg, o);
  };
}

/**
 * The JSON of a scalar or enum value, as scalarToJson / enumToJsonInternal. `reflectLong` applies protobuf-es'
 * get() conversion of `jstype = JS_STRING` 64-bit strings (singular and list
 * values; map values are read without it).
 */
function valueJson(f: DescField, enumAsInteger: boolean, reflectLong: boolean): ValueJson {
  if (f.enum !== undefined) return enumJson(f.enum, enumAsInteger);
  const scalar = f.scalar as ScalarType;
  switch (scalar) {
    case ScalarType.INT32:
    case ScalarType.SFIXED32:
    case ScalarType.SINT32:
    case ScalarType.FIXED32:
    case ScalarType.UINT32:
      return (v) => {
        if (typeof v !== "number") throw bail;
        return v;
      };
    case ScalarType.FLOAT:
    case ScalarType.DOUBLE:
      return (v) => {
        if (typeof v !== "number") throw bail;
        if (Number.isNaN(v)) return "NaN";
        if (v === Number.POSITIVE_INFINITY) return "Infinity";
        if (v === Number.NEGATIVE_INFINITY) return "-Infinity";
        return v;
      };
    case ScalarType.STRING:
      return (v) => {
        if (typeof v !== "string") throw bail;
        return v;
      };
    case ScalarType.BOOL:
      return (v) => {
        if (typeof v !== "boolean") throw bail;
        return v;
      };
    case ScalarType.UINT64:
    case ScalarType.FIXED64:
    case ScalarType.INT64:
    case ScalarType.SFIXED64:
    case ScalarType.SINT64: {
      const unsigned = scalar === ScalarType.UINT64 || scalar === ScalarType.FIXED64;
      const las = reflectLong && "longAsString" in f && f.longAsString === true;
      return (v) => {
        if (las && typeof v === "string") v = unsigned ? protoInt64.uParse(v) : protoInt64.parse(v);
        if (
          typeof v === "bigint" ||
          typeof v === "string" ||
          (typeof v === "number" && Number.isInteger(v))
        )
          return v.toString();
        throw bail;
      };
    }
    case ScalarType.BYTES:
      return (v) => {
        if (!(v instanceof Uint8Array)) throw bail;
        return base64Encode(v);
      };
  }
}

function enumJson(desc: DescEnum, enumAsInteger: boolean): ValueJson {
  if (desc.typeName === "google.protobuf.NullValue")
    return (v) => {
      if (typeof v !== "number") throw bail;
      return null;
    };
  if (enumAsInteger)
    return (v) => {
      if (typeof v !== "number") throw bail;
      return v;
    };
  const names = new Map<number, string>();
  for (const v of desc.values) {
    const named = desc.value[v.number];
    if (named !== undefined) names.set(v.number, named.name);
  }
  return (v) => {
    if (typeof v !== "number") throw bail;
    // toJson: `desc.value[v]?.name ?? v` (an unknown number stays a number).
    const name = Object.hasOwn(desc.value, v) ? names.get(v) : undefined;
    return name ?? v;
  };
}
