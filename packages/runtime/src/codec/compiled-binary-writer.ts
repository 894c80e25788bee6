import {
  type DescField,
  type DescMessage,
  type MessageShape,
  protoInt64,
  ScalarType,
  toBinary,
} from "@bufbuild/protobuf";
import { getTextEncoding } from "@bufbuild/protobuf/wire";
import { isWrapperDesc } from "./compiled-binary-reader.js";
import { mapKeyReflect } from "./map-key-reflect.js";

/**
 * A binary encoder compiled once per message schema whose output is byte for
 * byte `toBinary(schema, message)`: fields in number order, the same presence
 * rules, packed lists where toBinary packs, map entries as key 1 / value 2 in
 * the map object's key order. It writes into one growing buffer instead of
 * toBinary's chunk lists. Values must have their canonical type (a number for
 * 32-bit and floating types, a boolean, a string, a Uint8Array, a message with
 * the right `$typeName`); for anything else, unknown fields to re-emit, or a
 * schema with groups, wrappers or Struct, the message is encoded by toBinary
 * itself, which also throws its own errors.
 * @internal
 */
export function compiledToBinary<D extends DescMessage>(
  schema: D,
): (message: MessageShape<D>) => Uint8Array {
  const plan = planOf(schema);
  if (plan === undefined) return (message) => toBinary(schema, message);
  return (message) => encodeWith(plan, message as unknown as Msg) ?? toBinary(schema, message);
}

/**
 * The compiled encoding alone: the bytes, or undefined where toBinary has to
 * encode the message. For tests.
 * @internal
 */
export function encodeCompiled<D extends DescMessage>(
  schema: D,
  message: MessageShape<D>,
): Uint8Array | undefined {
  const plan = planOf(schema);
  return plan === undefined ? undefined : encodeWith(plan, message as unknown as Msg);
}

type Msg = Record<string, unknown>;
type FieldWriter = (w: Writer, message: Msg) => void;
interface Plan {
  readonly typeName: string;
  readonly fields: FieldWriter[];
}

const IMPLICIT = 2;
const LEGACY_REQUIRED = 3;
const WT_VARINT = 0;
const WT_64 = 1;
const WT_LEN = 2;
const WT_32 = 5;
const FLOAT32_MAX = 3.4028234663852886e38;

/** Thrown to abandon the compiled path; the caller re-runs toBinary. */
class Bail extends Error {}
const bail = new Bail("bail");

/** A buffer kept between encodings (the result is copied out of it), unless one is running. */
let scratch: Uint8Array | undefined = new Uint8Array(4096);

function encodeWith(plan: Plan, message: Msg): Uint8Array | undefined {
  const buf = scratch ?? new Uint8Array(256);
  scratch = undefined;
  const w = new Writer(buf);
  try {
    writeMessage(plan, w, message);
    return w.finish();
  } catch {
    return undefined;
  } finally {
    if (w.buf.length <= 1 << 20) scratch = w.buf;
    else scratch = buf;
  }
}

/** A growing byte buffer with the varint and fixed-width encodings of BinaryWriter. */
class Writer {
  buf: Uint8Array;
  view: DataView;
  pos = 0;

  constructor(buf: Uint8Array) {
    this.buf = buf;
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.view = new DataView(next.buffer, next.byteOffset, next.byteLength);
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }

  /** An unsigned 32-bit varint (value already checked). */
  uint32(value: number): void {
    this.ensure(5);
    const buf = this.buf;
    let pos = this.pos;
    while (value > 0x7f) {
      buf[pos++] = (value & 0x7f) | 0x80;
      value = value >>> 7;
    }
    buf[pos++] = value;
    this.pos = pos;
  }

  /** varint32write: negative values take ten bytes. */
  int32(value: number): void {
    if (value >= 0) {
      this.uint32(value);
      return;
    }
    this.ensure(10);
    const buf = this.buf;
    let pos = this.pos;
    for (let i = 0; i < 9; i++) {
      buf[pos++] = (value & 127) | 128;
      value = value >> 7;
    }
    buf[pos++] = 1;
    this.pos = pos;
  }

  /** varint64write. */
  varint64(lo: number, hi: number): void {
    this.ensure(10);
    const buf = this.buf;
    let pos = this.pos;
    for (let i = 0; i < 28; i = i + 7) {
      const shift = lo >>> i;
      const hasNext = !(shift >>> 7 === 0 && hi === 0);
      buf[pos++] = (hasNext ? shift | 0x80 : shift) & 0xff;
      if (!hasNext) {
        this.pos = pos;
        return;
      }
    }
    const splitBits = ((lo >>> 28) & 0x0f) | ((hi & 0x07) << 4);
    const hasMoreBits = !(hi >> 3 === 0);
    buf[pos++] = (hasMoreBits ? splitBits | 0x80 : splitBits) & 0xff;
    if (hasMoreBits) {
      for (let i = 3; i < 31; i = i + 7) {
        const shift = hi >>> i;
        const hasNext = !(shift >>> 7 === 0);
        buf[pos++] = (hasNext ? shift | 0x80 : shift) & 0xff;
        if (!hasNext) {
          this.pos = pos;
          return;
        }
      }
      buf[pos++] = (hi >>> 31) & 0x01;
    }
    this.pos = pos;
  }

  tag(no: number, wireType: number): void {
    this.uint32(((no << 3) | wireType) >>> 0);
  }

  /** Starts a length-delimited block; returns where its content starts (one byte is reserved for the length). */
  fork(): number {
    this.ensure(1);
    this.pos++;
    return this.pos;
  }

  /** Ends a block: writes its length as a varint before it, moving the content when the length needs more than one byte. */
  join(start: number): void {
    const len = this.pos - start;
    if (len < 0x80) {
      this.buf[start - 1] = len;
      return;
    }
    let size = 1;
    for (let v = len >>> 7; v > 0; v >>>= 7) size++;
    this.ensure(size - 1);
    const buf = this.buf;
    buf.copyWithin(start + size - 1, start, this.pos);
    let p = start - 1;
    let v = len;
    while (v > 0x7f) {
      buf[p++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    buf[p] = v;
    this.pos += size - 1;
  }

  bytes(value: Uint8Array): void {
    this.uint32(value.byteLength);
    this.ensure(value.byteLength);
    this.buf.set(value, this.pos);
    this.pos += value.byteLength;
  }

  /** BinaryWriter.string: UTF-8 as the TextEncoder writes it; ASCII is copied directly. */
  string(value: string): void {
    const n = value.length;
    if (n < 0x80) {
      this.ensure(1 + n);
      const buf = this.buf;
      let pos = this.pos + 1;
      for (let i = 0; i < n; i++) {
        const c = value.charCodeAt(i);
        if (c > 0x7f) {
          this.bytes(getTextEncoding().encodeUtf8(value));
          return;
        }
        buf[pos++] = c;
      }
      buf[this.pos] = n;
      this.pos = pos;
      return;
    }
    this.bytes(getTextEncoding().encodeUtf8(value));
  }

  fixed32(value: number): void {
    this.ensure(4);
    this.view.setUint32(this.pos, value, true);
    this.pos += 4;
  }

  sfixed32(value: number): void {
    this.ensure(4);
    this.view.setInt32(this.pos, value, true);
    this.pos += 4;
  }

  float(value: number): void {
    this.ensure(4);
    this.view.setFloat32(this.pos, value, true);
    this.pos += 4;
  }

  double(value: number): void {
    this.ensure(8);
    this.view.setFloat64(this.pos, value, true);
    this.pos += 8;
  }

  fixed64(lo: number, hi: number): void {
    this.ensure(8);
    this.view.setInt32(this.pos, lo, true);
    this.view.setInt32(this.pos + 4, hi, true);
    this.pos += 8;
  }
}

const plans = new WeakMap<DescMessage, Plan | null>();

function planOf(desc: DescMessage): Plan | undefined {
  const cached = plans.get(desc);
  if (cached !== undefined) return cached ?? undefined;
  if (!compilable(desc, new Set())) {
    plans.set(desc, null);
    return undefined;
  }
  const fields: FieldWriter[] = [];
  const plan: Plan = { typeName: desc.typeName, fields };
  plans.set(desc, plan);
  for (const f of desc.fields.concat().sort((a, b) => a.number - b.number))
    fields.push(fieldWriter(f));
  return plan;
}

/** Whether every message reachable from `desc` has the plain local representation this writer handles. */
function compilable(desc: DescMessage, seen: Set<DescMessage>): boolean {
  if (seen.has(desc)) return true;
  seen.add(desc);
  for (const f of desc.fields) {
    if ((f as { delimitedEncoding?: boolean }).delimitedEncoding === true) return false;
    const m = f.message;
    if (m === undefined) continue;
    if (m.typeName === "google.protobuf.Struct" && desc.typeName !== "google.protobuf.Value")
      return false;
    // Singular wrapper fields hold the bare value.
    if (f.fieldKind === "message" && f.oneof === undefined && isWrapperDesc(m)) return false;
    if (!compilable(m, seen)) return false;
  }
  return true;
}

function writeMessage(plan: Plan, w: Writer, message: Msg): void {
  if (message === null || typeof message !== "object" || message.$typeName !== plan.typeName)
    throw bail;
  const unknown = message.$unknown as unknown[] | undefined;
  if (unknown !== undefined && unknown.length > 0) throw bail;
  const fields = plan.fields;
  for (let i = 0; i < fields.length; i++) (fields[i] as FieldWriter)(w, message);
}

/** Writes one value (tag excluded) of a scalar or enum type; bails on a non-canonical value. */
type ValueWriter = (w: Writer, value: unknown) => void;

function isLong(type: ScalarType): boolean {
  return (
    type === ScalarType.INT64 ||
    type === ScalarType.UINT64 ||
    type === ScalarType.FIXED64 ||
    type === ScalarType.SFIXED64 ||
    type === ScalarType.SINT64
  );
}

function wireTypeOf(type: ScalarType): number {
  switch (type) {
    case ScalarType.BYTES:
    case ScalarType.STRING:
      return WT_LEN;
    case ScalarType.DOUBLE:
    case ScalarType.FIXED64:
    case ScalarType.SFIXED64:
      return WT_64;
    case ScalarType.FIXED32:
    case ScalarType.SFIXED32:
    case ScalarType.FLOAT:
      return WT_32;
    default:
      return WT_VARINT;
  }
}

function isInt32(v: unknown): v is number {
  return typeof v === "number" && Number.isInteger(v) && v <= 0x7fffffff && v >= -0x80000000;
}
function isUint32(v: unknown): v is number {
  return typeof v === "number" && Number.isInteger(v) && v <= 0xffffffff && v >= 0;
}

function valueWriter(type: ScalarType): ValueWriter {
  switch (type) {
    case ScalarType.STRING:
      return (w, v) => {
        if (typeof v !== "string") throw bail;
        w.string(v);
      };
    case ScalarType.BOOL:
      return (w, v) => {
        if (typeof v !== "boolean") throw bail;
        w.ensure(1);
        w.buf[w.pos++] = v ? 1 : 0;
      };
    case ScalarType.DOUBLE:
      return (w, v) => {
        if (typeof v !== "number") throw bail;
        w.double(v);
      };
    case ScalarType.FLOAT:
      return (w, v) => {
        if (typeof v !== "number") throw bail;
        if (Number.isFinite(v) && (v > FLOAT32_MAX || v < -FLOAT32_MAX)) throw bail;
        w.float(v);
      };
    case ScalarType.INT32:
      return (w, v) => {
        if (!isInt32(v)) throw bail;
        w.int32(v);
      };
    case ScalarType.SINT32:
      return (w, v) => {
        if (!isInt32(v)) throw bail;
        w.uint32(((v << 1) ^ (v >> 31)) >>> 0);
      };
    case ScalarType.SFIXED32:
      return (w, v) => {
        if (!isInt32(v)) throw bail;
        w.sfixed32(v);
      };
    case ScalarType.UINT32:
      return (w, v) => {
        if (!isUint32(v)) throw bail;
        w.uint32(v);
      };
    case ScalarType.FIXED32:
      return (w, v) => {
        if (!isUint32(v)) throw bail;
        w.fixed32(v);
      };
    case ScalarType.BYTES:
      return (w, v) => {
        if (!(v instanceof Uint8Array)) throw bail;
        w.bytes(v);
      };
    // 64-bit: protoInt64.enc / uEnc on the value as toBinary does (it validates and throws alike).
    case ScalarType.INT64:
      return (w, v) => {
        const tc = protoInt64.enc(v as bigint);
        w.varint64(tc.lo, tc.hi);
      };
    case ScalarType.UINT64:
      return (w, v) => {
        const tc = protoInt64.uEnc(v as bigint);
        w.varint64(tc.lo, tc.hi);
      };
    case ScalarType.SINT64:
      return (w, v) => {
        const tc = protoInt64.enc(v as bigint);
        const sign = tc.hi >> 31;
        const lo = (tc.lo << 1) ^ sign;
        const hi = ((tc.hi << 1) | (tc.lo >>> 31)) ^ sign;
        w.varint64(lo, hi);
      };
    case ScalarType.FIXED64:
      return (w, v) => {
        const tc = protoInt64.uEnc(v as bigint);
        w.fixed64(tc.lo, tc.hi);
      };
    case ScalarType.SFIXED64:
      return (w, v) => {
        const tc = protoInt64.enc(v as bigint);
        w.fixed64(tc.lo, tc.hi);
      };
  }
}

/** protobuf-es' get() for 64-bit fields with `jstype = JS_STRING`: the string is parsed back. */
function reflectLong(f: DescField, type: ScalarType): ((v: unknown) => unknown) | undefined {
  if (!isLong(type) || !("longAsString" in f) || f.longAsString !== true) return undefined;
  const unsigned = type === ScalarType.UINT64 || type === ScalarType.FIXED64;
  return (v) =>
    typeof v === "string" ? (unsigned ? protoInt64.uParse(v) : protoInt64.parse(v)) : v;
}

/** protobuf-es' unsafeIsSet, as toBinary applies it (required and unset: toBinary throws). */
function isSetTest(f: DescField): (m: Msg) => boolean {
  const name = f.localName;
  const oneof = f.oneof?.localName;
  if (oneof !== undefined) return (m) => (m[oneof] as { case: unknown }).case === name;
  if (f.presence !== IMPLICIT) return (m) => m[name] !== undefined && Object.hasOwn(m, name);
  switch (f.fieldKind) {
    case "list":
      return (m) => (m[name] as unknown[]).length > 0;
    case "map":
      return (m) => Object.keys(m[name] as object).length > 0;
    case "scalar":
      switch (f.scalar) {
        case ScalarType.BOOL:
          return (m) => m[name] !== false;
        case ScalarType.STRING:
          return (m) => m[name] !== "";
        case ScalarType.BYTES:
          return (m) => {
            const v = m[name];
            return !(v instanceof Uint8Array && !v.byteLength);
          };
        case ScalarType.DOUBLE:
        case ScalarType.FLOAT:
          return (m) => !Object.is(m[name], 0);
        default:
          // biome-ignore lint/suspicious/noDoubleEquals: protobuf-es matches 0n, 0 and "0" loosely
          return (m) => !(m[name] == 0);
      }
    case "enum": {
      const first = f.enum.values[0]?.number;
      return (m) => m[name] !== first;
    }
    case "message":
      return () => {
        throw bail;
      };
  }
}

function fieldWriter(f: DescField): FieldWriter {
  const isSet = isSetTest(f);
  const required = f.presence === LEGACY_REQUIRED;
  const name = f.localName;
  const oneof = f.oneof?.localName;
  const get: (m: Msg) => unknown =
    oneof !== undefined
      ? (m) => {
          const adt = m[oneof] as { case: unknown; value: unknown };
          return adt.case === name ? adt.value : undefined;
        }
      : (m) => m[name];
  const write = fieldValueWriter(f);
  return (w, m) => {
    if (!isSet(m)) {
      if (required) throw bail;
      return;
    }
    write(w, get(m));
  };
}

function messageWriter(desc: DescMessage): (w: Writer, value: unknown) => void {
  let plan: Plan | undefined;
  return (w, v) => {
    if (plan === undefined) plan = planOf(desc) as Plan;
    writeMessage(plan, w, v as Msg);
  };
}

/** writeField: the tag(s) and value(s) of one set field. */
function fieldValueWriter(f: DescField): (w: Writer, value: unknown) => void {
  const no = f.number;
  switch (f.fieldKind) {
    case "scalar":
    case "enum": {
      const type = f.fieldKind === "scalar" ? f.scalar : ScalarType.INT32;
      const tag = ((no << 3) | wireTypeOf(type)) >>> 0;
      const value = valueWriter(type);
      const long = f.fieldKind === "scalar" ? reflectLong(f, type) : undefined;
      if (f.fieldKind === "enum")
        return (w, v) => {
          w.uint32(tag);
          value(w, v === undefined ? f.enum.values[0]?.number : v);
        };
      return (w, v) => {
        if (v === undefined) throw bail; // get() would substitute the zero value
        w.uint32(tag);
        value(w, long === undefined ? v : long(v));
      };
    }
    case "message": {
      const tag = ((no << 3) | WT_LEN) >>> 0;
      const write = messageWriter(f.message);
      return (w, v) => {
        w.uint32(tag);
        const start = w.fork();
        write(w, v);
        w.join(start);
      };
    }
    case "list": {
      if (f.listKind === "message") {
        const tag = ((no << 3) | WT_LEN) >>> 0;
        const write = messageWriter(f.message);
        return (w, list) => {
          if (!Array.isArray(list)) throw bail;
          for (const item of list) {
            w.uint32(tag);
            const start = w.fork();
            write(w, item);
            w.join(start);
          }
        };
      }
      const type = f.listKind === "scalar" ? f.scalar : ScalarType.INT32;
      const value = valueWriter(type);
      const long = f.listKind === "scalar" ? reflectLong(f, type) : undefined;
      if (f.packed) {
        const tag = ((no << 3) | WT_LEN) >>> 0;
        return (w, list) => {
          if (!Array.isArray(list)) throw bail;
          if (list.length === 0) return;
          w.uint32(tag);
          const start = w.fork();
          for (const item of list) value(w, long === undefined ? item : long(item));
          w.join(start);
        };
      }
      const tag = ((no << 3) | wireTypeOf(type)) >>> 0;
      return (w, list) => {
        if (!Array.isArray(list)) throw bail;
        for (const item of list) {
          w.uint32(tag);
          value(w, long === undefined ? item : long(item));
        }
      };
    }
    case "map": {
      const tag = ((no << 3) | WT_LEN) >>> 0;
      const keyType = f.mapKey;
      const keyTag = ((1 << 3) | wireTypeOf(keyType)) >>> 0;
      const writeKey = valueWriter(keyType);
      const toKey = mapKeyReflect(keyType);
      let writeValue: (w: Writer, v: unknown) => void;
      if (f.mapKind === "message") {
        const write = messageWriter(f.message);
        writeValue = (w, v) => {
          w.uint32(((2 << 3) | WT_LEN) >>> 0);
          const start = w.fork();
          write(w, v);
          w.join(start);
        };
      } else {
        const type = f.mapKind === "scalar" ? f.scalar : ScalarType.INT32;
        const valueTag = ((2 << 3) | wireTypeOf(type)) >>> 0;
        const value = valueWriter(type);
        writeValue = (w, v) => {
          w.uint32(valueTag);
          value(w, v);
        };
      }
      return (w, obj) => {
        if (obj === null || typeof obj !== "object") throw bail;
        for (const k of Object.keys(obj)) {
          w.uint32(tag);
          const start = w.fork();
          w.uint32(keyTag);
          writeKey(w, toKey(k));
          writeValue(w, (obj as Record<string, unknown>)[k]);
          w.join(start);
        }
      };
    }
  }
}
