import {
  type DescField,
  type DescMessage,
  fromJson,
  type JsonReadOptions,
  type MessageShape,
  protoInt64,
  ScalarType,
} from "@bufbuild/protobuf";
import { getTextEncoding } from "@bufbuild/protobuf/wire";
import { zeroMessageFactory } from "./compiled-binary-reader.js";

/**
 * Decodes a parsed proto3-JSON value into a message, equal to
 * `fromJson(schema, json, options)`, through readers compiled once per schema.
 * The compiled path takes only the canonical forms — objects with known keys,
 * strings, booleans, integral numbers in range, finite numbers, 64-bit
 * integers as strings, enum names, arrays, string-keyed maps — and builds the
 * message the way fromJson does (a zero message from `create`, fields set in
 * key order). Anything else (null, numbers as strings, enum numbers, bytes,
 * well-known types, unknown or repeated keys, other map key types) is decoded
 * by fromJson itself, which also throws its own errors.
 * @internal
 */
export function compiledFromJson<D extends DescMessage>(
  schema: D,
  json: unknown,
  options: Partial<JsonReadOptions>,
): MessageShape<D> {
  return (
    (readCompiled(schema, json) as MessageShape<D> | undefined) ??
    fromJson(schema, json as never, options)
  );
}

/**
 * The compiled decoding alone: the message, or undefined where fromJson has
 * to decide. For tests.
 * @internal
 */
export function readCompiled(schema: DescMessage, json: unknown): object | undefined {
  try {
    return readMessage(schema, json, 1);
  } catch {
    return undefined;
  }
}

type Msg = Record<string, unknown>;
/** Sets one field of `message` from its JSON value (not null). */
type FieldRead = (message: Msg, json: unknown, depth: number) => void;

interface Plan {
  readonly zero: () => Msg;
  /** Readers by JSON key: the proto name and the JSON name of every field. */
  readonly byKey: Map<
    string,
    { readonly index: number; readonly oneof: number; readonly read: FieldRead }
  >;
  /** Whether a field can be reached by two keys (name and JSON name differ). */
  readonly twoKeys: boolean;
}

/** Conservatively below fromJson's recursion limit (100). */
const depthLimit = 90;
const FLOAT32_MAX = 3.4028234663852886e38;

class Bail extends Error {}
const bail = new Bail("bail");

const plans = new WeakMap<DescMessage, Plan>();

function planOf(desc: DescMessage): Plan {
  let plan = plans.get(desc);
  if (plan === undefined) {
    const byKey: Plan["byKey"] = new Map();
    let twoKeys = false;
    desc.fields.forEach((f, index) => {
      const entry = {
        index,
        oneof: f.oneof === undefined ? -1 : desc.oneofs.indexOf(f.oneof),
        read: fieldRead(f),
      };
      byKey.set(f.name, entry);
      byKey.set(f.jsonName, entry);
      if (f.name !== f.jsonName) twoKeys = true;
    });
    plan = { zero: zeroMessageFactory(desc), byKey, twoKeys };
    plans.set(desc, plan);
  }
  return plan;
}

function isObject(json: unknown): json is Record<string, unknown> {
  return json !== null && typeof json === "object" && !Array.isArray(json);
}

/** fromJson's readMessage on the canonical path. */
function readMessage(desc: DescMessage, json: unknown, depth: number): Msg {
  // Well-known types have their own JSON forms.
  if (depth > depthLimit || desc.typeName.startsWith("google.protobuf.") || !isObject(json))
    throw bail;
  const plan = planOf(desc);
  const message = plan.zero();
  const keys = Object.keys(json);
  let seen: Set<number> | undefined;
  let oneofs: Set<number> | undefined;
  for (const key of keys) {
    const entry = plan.byKey.get(key);
    if (entry === undefined) throw bail; // unknown key or extension
    if (plan.twoKeys) {
      seen ??= new Set();
      if (seen.has(entry.index)) throw bail; // "set multiple times"
      seen.add(entry.index);
    }
    if (entry.oneof >= 0) {
      oneofs ??= new Set();
      if (oneofs.has(entry.oneof)) throw bail; // "oneof set multiple times"
      oneofs.add(entry.oneof);
    }
    const value = json[key];
    if (value === null) throw bail; // null resets or is skipped, per field kind
    entry.read(message, value, depth);
  }
  return message;
}

/** Converts one non-null JSON value of a scalar or enum type, or bails. */
type ValueRead = (json: unknown) => unknown;

function scalarRead(field: DescField, type: ScalarType): ValueRead {
  switch (type) {
    case ScalarType.STRING:
      return (v) => {
        if (typeof v !== "string" || !getTextEncoding().checkUtf8(v)) throw bail;
        return v;
      };
    case ScalarType.BOOL:
      return (v) => {
        if (typeof v !== "boolean") throw bail;
        return v;
      };
    case ScalarType.INT32:
    case ScalarType.SINT32:
    case ScalarType.SFIXED32:
      return (v) => {
        if (typeof v !== "number" || !Number.isInteger(v) || v > 0x7fffffff || v < -0x80000000)
          throw bail;
        return v;
      };
    case ScalarType.UINT32:
    case ScalarType.FIXED32:
      return (v) => {
        if (typeof v !== "number" || !Number.isInteger(v) || v > 0xffffffff || v < 0) throw bail;
        return v;
      };
    case ScalarType.DOUBLE:
      return (v) => {
        if (typeof v !== "number" || !Number.isFinite(v)) throw bail;
        return v;
      };
    case ScalarType.FLOAT:
      return (v) => {
        if (typeof v !== "number" || !Number.isFinite(v) || v > FLOAT32_MAX || v < -FLOAT32_MAX)
          throw bail;
        return v;
      };
    case ScalarType.INT64:
    case ScalarType.SINT64:
    case ScalarType.SFIXED64:
    case ScalarType.UINT64:
    case ScalarType.FIXED64: {
      // fromJson keeps the string; set() checks it with parse() and stores
      // parse()'s bigint, or the string itself for `jstype = JS_STRING`.
      const unsigned = type === ScalarType.UINT64 || type === ScalarType.FIXED64;
      const las = "longAsString" in field && field.longAsString === true;
      return (v) => {
        if (typeof v !== "string" || v.length === 0) throw bail;
        const parsed = unsigned ? protoInt64.uParse(v) : protoInt64.parse(v);
        return las ? String(v) : parsed;
      };
    }
    default:
      // BYTES: base64 has its own rules; fromJson decodes it.
      return () => {
        throw bail;
      };
  }
}

function enumRead(field: DescField): ValueRead {
  const e = field.enum;
  if (e === undefined || e.typeName.startsWith("google.protobuf."))
    return () => {
      throw bail;
    };
  const byName = new Map<string, number>();
  for (const v of e.values) if (!byName.has(v.name)) byName.set(v.name, v.number);
  return (v) => {
    if (typeof v !== "string") throw bail; // numbers: fromJson decides
    const n = byName.get(v);
    if (n === undefined) throw bail; // unknown name: error or ignored, per options
    return n;
  };
}

function messageRead(desc: DescMessage): (json: unknown, depth: number) => Msg {
  return (json, depth) => readMessage(desc, json, depth + 1);
}

function itemRead(field: DescField): (json: unknown, depth: number) => unknown {
  if (field.message !== undefined) {
    const read = messageRead(field.message);
    return (v, depth) => {
      if (v === null) throw bail;
      return read(v, depth);
    };
  }
  const read =
    field.enum !== undefined ? enumRead(field) : scalarRead(field, field.scalar as ScalarType);
  return (v) => {
    if (v === null) throw bail;
    return read(v);
  };
}

function fieldRead(f: DescField): FieldRead {
  const name = f.localName;
  const oneof = f.oneof?.localName;
  const set =
    oneof === undefined
      ? (m: Msg, v: unknown) => {
          m[name] = v;
        }
      : (m: Msg, v: unknown) => {
          m[oneof] = { case: name, value: v };
        };
  switch (f.fieldKind) {
    case "scalar": {
      const read = scalarRead(f, f.scalar);
      return (m, v) => set(m, read(v));
    }
    case "enum": {
      const read = enumRead(f);
      return (m, v) => set(m, read(v));
    }
    case "message": {
      const m2 = f.message;
      // Wrappers (unwrapped locally) and Struct (JSON locally) are well-known types: bail in readMessage.
      const read = messageRead(m2);
      return (m, v, depth) => set(m, read(v, depth));
    }
    case "list": {
      const read = itemRead(f);
      return (m, v, depth) => {
        if (!Array.isArray(v)) throw bail;
        const list = m[name] as unknown[];
        for (const item of v) list.push(read(item, depth));
      };
    }
    case "map": {
      if (f.mapKey !== ScalarType.STRING)
        return () => {
          throw bail;
        };
      const read = itemRead(f);
      return (m, v, depth) => {
        if (!isObject(v)) throw bail;
        const map = m[name] as Record<string, unknown>;
        for (const key of Object.keys(v)) {
          // set() checks the key like a string field.
          if (!getTextEncoding().checkUtf8(key)) throw bail;
          map[key] = read(v[key], depth);
        }
      };
    }
  }
}
