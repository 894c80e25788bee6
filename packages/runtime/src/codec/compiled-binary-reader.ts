import {
  create,
  type DescField,
  type DescMessage,
  fromBinary,
  type MessageShape,
  protoInt64,
  ScalarType,
} from "@bufbuild/protobuf";
import { BinaryReader, getTextEncoding } from "@bufbuild/protobuf/wire";

/**
 * A binary decoder compiled once per message schema, equivalent to protobuf-es
 * `fromBinary(schema, bytes)`: it mirrors fromBinary's reading loop step by
 * step (same BinaryReader for every scalar, same loop bounds, same merge rules)
 * but dispatches on precomputed per-field closures instead of reflection.
 * Whenever the input leaves the common path — an unknown field, a closed-enum
 * value out of range, a nesting deeper than fromBinary's limit, or malformed
 * bytes — it gives up and returns `fromBinary(schema, bytes)`, so the result
 * (or the error thrown) is always fromBinary's own.
 * @internal
 */
export function compiledFromBinary<D extends DescMessage>(
  schema: D,
): (bytes: Uint8Array) => MessageShape<D> {
  const plan = planOf(schema);
  if (plan === undefined) return (bytes) => fromBinary(schema, bytes);
  return (bytes) =>
    (decodeWith(plan, bytes) as MessageShape<D> | undefined) ?? fromBinary(schema, bytes);
}

/**
 * The compiled decoding alone: the message, or undefined where the compiled
 * path gives up (the schema or the input needs fromBinary). For tests.
 * @internal
 */
export function decodeCompiled<D extends DescMessage>(
  schema: D,
  bytes: Uint8Array,
): MessageShape<D> | undefined {
  const plan = planOf(schema);
  return plan === undefined ? undefined : (decodeWith(plan, bytes) as MessageShape<D> | undefined);
}

function decodeWith(plan: Plan, bytes: Uint8Array): Msg | undefined {
  try {
    const reader = new Reader(bytes);
    const message = plan.zero();
    plan.read(message, reader, reader.len, 1);
    return message;
  } catch {
    return undefined;
  }
}

/** fromBinary's default recursion limit. */
const recursionLimit = 100;
const IMPLICIT = 2;
const EDITION_PROTO3 = 999;
const WT_LEN = 2;

type Msg = Record<string, unknown>;
/** Reads one occurrence of a field into `message`. */
type FieldReader = (message: Msg, reader: Reader, wireType: number, depth: number) => void;

interface Plan {
  readonly zero: () => Msg;
  /** fromBinary's readMessage loop for this message, up to `end`. */
  readonly read: (message: Msg, reader: Reader, end: number, depth: number) => void;
}

/** Thrown to abandon the compiled path; the caller re-runs fromBinary. */
class Bail extends Error {}
const bail = new Bail("bail");

const plans = new WeakMap<DescMessage, Plan | null>();

/** The compiled plan of a schema, or undefined when a field needs fromBinary's special handling. */
function planOf(desc: DescMessage): Plan | undefined {
  const cached = plans.get(desc);
  if (cached !== undefined) return cached ?? undefined;
  if (!compilable(desc, new Set())) {
    plans.set(desc, null);
    return undefined;
  }
  const readers = new Map<number, FieldReader>();
  for (const f of desc.fields) readers.set(f.number, fieldReader(f));
  const plan: Plan = { zero: zeroMessageFactory(desc), read: compileLoop(desc, readers) };
  plans.set(desc, plan);
  return plan;
}

/** Reader method names of the scalar types (BinaryReader's, with `str` for strings). */
const scalarMethods: Record<number, string> = {
  [ScalarType.STRING]: "str",
  [ScalarType.BOOL]: "bool",
  [ScalarType.DOUBLE]: "double",
  [ScalarType.FLOAT]: "float",
  [ScalarType.INT32]: "int32",
  [ScalarType.INT64]: "int64",
  [ScalarType.UINT64]: "uint64",
  [ScalarType.FIXED64]: "fixed64",
  [ScalarType.BYTES]: "bytes",
  [ScalarType.FIXED32]: "fixed32",
  [ScalarType.SFIXED32]: "sfixed32",
  [ScalarType.SFIXED64]: "sfixed64",
  [ScalarType.SINT64]: "sint64",
  [ScalarType.UINT32]: "uint32",
  [ScalarType.SINT32]: "sint32",
};

/**
 * Generates the message's read loop: one `switch` over the field numbers, the
 * common field kinds (singular scalars and messages, repeated messages) inline,
 * the others through their FieldReader. Unknown numbers bail.
 */
function compileLoop(desc: DescMessage, readers: Map<number, FieldReader>): Plan["read"] {
  const helpers: unknown[] = [];
  const ref = (value: unknown): string => {
    helpers.push(value);
    return `h[${helpers.length - 1}]`;
  };
  const cases: string[] = [];
  for (const f of desc.fields) {
    const key = `m[${JSON.stringify(f.localName)}]`;
    let code: string | undefined;
    if (f.oneof === undefined) {
      if (f.fieldKind === "scalar" && !(isLong(f.scalar) && longAsString(f))) {
        const utf8 = (f as { utf8Validation?: boolean }).utf8Validation === true;
        code =
          f.scalar === ScalarType.STRING
            ? `${key} = r.str(${utf8})`
            : `${key} = r.${scalarMethods[f.scalar]}()`;
      } else if (f.fieldKind === "message") {
        code = `${key} = ${ref(subReader(f.message))}(r, depth, ${key})`;
      } else if (f.fieldKind === "list" && f.listKind === "message") {
        code = `${key}.push(${ref(subReader(f.message))}(r, depth, undefined))`;
      }
    }
    code ??= `${ref(readers.get(f.number))}(m, r, tag & 7, depth)`;
    cases.push(`      case ${f.number}: ${code}; break;`);
  }
  const source = `return function read(m, r, end, depth) {
  if (depth > ${recursionLimit}) throw bail;
  while (r.pos < end) {
    const tag = r.tagBits();
    switch (tag >>> 3) {
${cases.join("\n")}
      default: throw bail;
    }
  }
};`;
  return new Function("h", "bail", source)(helpers, bail) as Plan["read"];
}

/** readMessageField for one message type, resolving its plan on first use. */
function subReader(desc: DescMessage): (reader: Reader, depth: number, into?: Msg) => Msg {
  let plan: Plan | undefined;
  return (reader, depth, into) => {
    if (plan === undefined) plan = planOf(desc) as Plan;
    const message = into ?? plan.zero();
    const len = reader.uint32();
    plan.read(message, reader, reader.pos + len, depth + 1);
    return message;
  };
}

/** Whether every message reachable from `desc` can be decoded by the compiled path. */
function compilable(desc: DescMessage, seen: Set<DescMessage>): boolean {
  if (seen.has(desc)) return true;
  seen.add(desc);
  for (const f of desc.fields) {
    if (f.fieldKind === "message" || f.fieldKind === "list" || f.fieldKind === "map") {
      if ((f as { delimitedEncoding?: boolean }).delimitedEncoding === true) return false;
      const m = f.fieldKind === "message" ? f.message : f.message;
      if (m === undefined) continue;
      // Local representations that differ from the message: unwrapped wrappers, Struct as JSON.
      if (m.typeName === "google.protobuf.Struct" && desc.typeName !== "google.protobuf.Value")
        return false;
      if (f.fieldKind === "message" && f.oneof === undefined && isWrapperDesc(m)) return false;
      if (!compilable(m, seen)) return false;
    }
  }
  return true;
}

const wrapperNames = new Set([
  "google.protobuf.DoubleValue",
  "google.protobuf.FloatValue",
  "google.protobuf.Int64Value",
  "google.protobuf.UInt64Value",
  "google.protobuf.Int32Value",
  "google.protobuf.UInt32Value",
  "google.protobuf.BoolValue",
  "google.protobuf.StringValue",
  "google.protobuf.BytesValue",
]);

/** Same test as protobuf-es' isWrapperDesc. @internal */
export function isWrapperDesc(desc: DescMessage): boolean {
  const f = desc.fields[0];
  return (
    wrapperNames.has(desc.typeName) &&
    f !== undefined &&
    f.fieldKind === "scalar" &&
    f.name === "value" &&
    f.number === 1
  );
}

/**
 * A factory for the zero message `create(desc)` returns. For proto3 files the
 * shape is rebuilt directly (same keys in the same order); other editions use
 * create(), which keeps presence on a prototype chain.
 */
const zeroFactories = new WeakMap<DescMessage, () => Msg>();

/**
 * A factory for the zero message `create(desc)` returns (cached per schema).
 * @internal
 */
export function zeroMessageFactory(desc: DescMessage): () => Record<string, unknown> {
  let zero = zeroFactories.get(desc);
  if (zero === undefined) {
    zero = zeroFactory(desc);
    zeroFactories.set(desc, zero);
  }
  return zero;
}

function zeroFactory(desc: DescMessage): () => Msg {
  const viaCreate = () => create(desc) as unknown as Msg;
  if (desc.file.edition !== EDITION_PROTO3) return viaCreate;
  const props: string[] = [`$typeName: ${JSON.stringify(desc.typeName)}`];
  for (const member of desc.members) {
    // An object literal would make "__proto__" the prototype; create() assigns it.
    if (member.localName === "__proto__") return viaCreate;
    const key = JSON.stringify(member.localName);
    if (member.kind === "oneof") {
      props.push(`${key}: { case: undefined }`);
      continue;
    }
    if (member.presence !== IMPLICIT) continue;
    switch (member.fieldKind) {
      case "list":
        props.push(`${key}: []`);
        break;
      case "map":
        props.push(`${key}: {}`);
        break;
      case "message":
        // Never implicit; create() would store a token here. Let create() decide.
        return viaCreate;
      case "enum":
        props.push(`${key}: ${member.enum.values[0]?.number ?? 0}`);
        break;
      case "scalar": {
        if (member.getDefaultValue() !== undefined) return viaCreate;
        const zero = scalarZero(member.scalar, member.longAsString);
        const source =
          member.scalar === ScalarType.BYTES
            ? "new Uint8Array(0)"
            : typeof zero === "bigint"
              ? "z64"
              : JSON.stringify(zero);
        props.push(`${key}: ${source}`);
        break;
      }
    }
  }
  // One object literal: the same keys in the same order as create(), built with a fixed shape.
  return new Function("z64", `return () => ({ ${props.join(", ")} });`)(
    protoInt64.zero,
  ) as () => Msg;
}

function scalarZero(type: ScalarType, longAsString: boolean): unknown {
  switch (type) {
    case ScalarType.STRING:
      return "";
    case ScalarType.BOOL:
      return false;
    case ScalarType.INT64:
    case ScalarType.UINT64:
    case ScalarType.SFIXED64:
    case ScalarType.FIXED64:
    case ScalarType.SINT64:
      return longAsString ? "0" : protoInt64.zero;
    case ScalarType.BYTES:
      return new Uint8Array(0);
    default:
      return 0;
  }
}

/** One read of a scalar, exactly as fromBinary's readScalar. */
type ScalarRead = (reader: Reader) => unknown;

function scalarRead(type: ScalarType, utf8Validation: boolean): ScalarRead {
  switch (type) {
    case ScalarType.STRING:
      return (r) => r.str(utf8Validation);
    case ScalarType.BOOL:
      return (r) => r.bool();
    case ScalarType.DOUBLE:
      return (r) => r.double();
    case ScalarType.FLOAT:
      return (r) => r.float();
    case ScalarType.INT32:
      return (r) => r.int32();
    case ScalarType.INT64:
      return (r) => r.int64();
    case ScalarType.UINT64:
      return (r) => r.uint64();
    case ScalarType.FIXED64:
      return (r) => r.fixed64();
    case ScalarType.BYTES:
      return (r) => r.bytes();
    case ScalarType.FIXED32:
      return (r) => r.fixed32();
    case ScalarType.SFIXED32:
      return (r) => r.sfixed32();
    case ScalarType.SFIXED64:
      return (r) => r.sfixed64();
    case ScalarType.SINT64:
      return (r) => r.sint64();
    case ScalarType.UINT32:
      return (r) => r.uint32();
    case ScalarType.SINT32:
      return (r) => r.sint32();
  }
}

/** protobuf-es' longToLocal: 64-bit values become strings for `jstype = JS_STRING`. */
function isLong(type: ScalarType | undefined): boolean {
  return (
    type === ScalarType.INT64 ||
    type === ScalarType.UINT64 ||
    type === ScalarType.FIXED64 ||
    type === ScalarType.SFIXED64 ||
    type === ScalarType.SINT64
  );
}

function localRead(field: DescField, type: ScalarType): ScalarRead {
  // fromBinary passes field.utf8Validation for singular, list and map values alike.
  const read = scalarRead(type, (field as { utf8Validation?: boolean }).utf8Validation === true);
  if (isLong(type) && longAsString(field)) return (r) => String(read(r));
  return read;
}

/** protobuf-es tests `"longAsString" in field && field.longAsString`. */
function longAsString(field: DescField): boolean {
  return "longAsString" in field && (field as { longAsString?: boolean }).longAsString === true;
}

/** protobuf-es' BinaryReader with a tag read that does not allocate. */
class Reader extends BinaryReader {
  readonly #decode: (bytes: Uint8Array, strict?: boolean) => string;
  readonly #latin1: ((start: number, end: number) => string) | undefined;

  constructor(bytes: Uint8Array) {
    const decode = getTextEncoding().decodeUtf8;
    super(bytes, decode);
    this.#decode = decode;
    this.#latin1 = Buffer.isBuffer(bytes)
      ? (start, end) => (bytes as Buffer).toString("latin1", start, end)
      : undefined;
  }

  /**
   * BinaryReader.string(): the same bounds checks, but ASCII text (which every
   * UTF-8 decoder maps byte for byte, and which has no BOM) skips TextDecoder.
   */
  str(strict: boolean): string {
    const len = this.uint32();
    const start = this.pos;
    this.pos += len;
    this.assertBounds();
    const end = start + len;
    const buf = this.buf;
    if (len < 24) {
      let text = "";
      for (let i = start; i < end; i++) {
        const c = buf[i] as number;
        if (c > 0x7f) return this.#decode(buf.subarray(start, end), strict);
        text += String.fromCharCode(c);
      }
      return text;
    }
    if (this.#latin1 !== undefined) {
      for (let i = start; i < end; i++) {
        if ((buf[i] as number) > 0x7f) return this.#decode(buf.subarray(start, end), strict);
      }
      return this.#latin1(start, end);
    }
    return this.#decode(buf.subarray(start, end), strict);
  }

  /** Reads a tag like BinaryReader.tag(); bails where tag() throws. */
  tagBits(): number {
    const start = this.pos;
    const tag = this.uint32();
    const bytesRead = this.pos - start;
    if (bytesRead > 5 || (bytesRead === 5 && (this.buf[this.pos - 1] as number) > 0x0f)) throw bail;
    if (tag >>> 3 <= 0 || (tag & 7) > 5) throw bail;
    return tag;
  }
}

/** readMessageField: a new (or, for singular fields, the existing) message read from a length prefix. */
function readSub(desc: DescMessage, reader: Reader, depth: number, into?: Msg): Msg {
  const plan = planOf(desc) as Plan;
  const message = into ?? plan.zero();
  const len = reader.uint32();
  plan.read(message, reader, reader.pos + len, depth + 1);
  return message;
}

function fieldReader(field: DescField): FieldReader {
  const name = field.localName;
  const oneof = field.oneof?.localName;
  switch (field.fieldKind) {
    case "scalar": {
      const read = localRead(field, field.scalar);
      if (oneof !== undefined)
        return (m, r) => {
          m[oneof] = { case: name, value: read(r) };
        };
      return (m, r) => {
        m[name] = read(r);
      };
    }
    case "enum": {
      const open = field.enum.open;
      const known = new Set(field.enum.values.map((v) => v.number));
      return (m, r) => {
        const v = r.int32();
        if (!open && !known.has(v)) throw bail; // fromBinary keeps it as an unknown field
        if (oneof !== undefined) m[oneof] = { case: name, value: v };
        else m[name] = v;
      };
    }
    case "message": {
      const desc = field.message;
      if (oneof !== undefined)
        return (m, r, _wt, depth) => {
          const current = m[oneof] as { case: unknown; value?: Msg };
          const existing = current.case === name ? current.value : undefined;
          m[oneof] = { case: name, value: readSub(desc, r, depth, existing) };
        };
      return (m, r, _wt, depth) => {
        m[name] = readSub(desc, r, depth, m[name] as Msg | undefined);
      };
    }
    case "list": {
      if (field.listKind === "message") {
        const desc = field.message;
        return (m, r, _wt, depth) => {
          (m[name] as unknown[]).push(readSub(desc, r, depth));
        };
      }
      const type = field.listKind === "scalar" ? field.scalar : ScalarType.INT32;
      const read = localRead(field, type);
      const packable = type !== ScalarType.STRING && type !== ScalarType.BYTES;
      return (m, r, wireType) => {
        const list = m[name] as unknown[];
        if (!packable || wireType !== WT_LEN) {
          list.push(read(r));
          return;
        }
        const e = r.uint32() + r.pos;
        while (r.pos < e) list.push(read(r));
      };
    }
    case "map":
      return mapEntryReader(field);
  }
}

/** readMapEntry: key = field 1, value = field 2, other numbers are ignored (not skipped), as fromBinary does. */
function mapEntryReader(field: DescField & { fieldKind: "map" }): FieldReader {
  const name = field.localName;
  const readKey = scalarRead(field.mapKey, field.utf8Validation);
  const keyZero = scalarZero(field.mapKey, false);
  const toKey = (k: unknown): string | number =>
    typeof k === "string" || typeof k === "number" ? k : String(k);
  let readValue: (r: Reader, depth: number) => unknown;
  let valueZero: () => unknown;
  switch (field.mapKind) {
    case "scalar": {
      const read = localRead(field, field.scalar);
      readValue = (r) => read(r);
      const las = isLong(field.scalar) && longAsString(field);
      const z = field.scalar === ScalarType.BYTES ? undefined : scalarZero(field.scalar, las);
      valueZero = field.scalar === ScalarType.BYTES ? () => new Uint8Array(0) : () => z;
      break;
    }
    case "enum": {
      readValue = (r) => r.int32();
      const z = field.enum.values[0]?.number;
      valueZero = () => z;
      break;
    }
    case "message": {
      const desc = field.message;
      readValue = (r, depth) => readSub(desc, r, depth);
      valueZero = () => (planOf(desc) as Plan).zero();
      break;
    }
  }
  return (m, r, _wt, depth) => {
    let key: unknown;
    let value: unknown;
    const len = r.uint32();
    const end = r.pos + len;
    while (r.pos < end) {
      const no = r.tagBits() >>> 3;
      if (no === 1) key = readKey(r);
      else if (no === 2) value = readValue(r, depth);
    }
    if (key === undefined) key = keyZero;
    if (value === undefined) value = valueZero();
    (m[name] as Record<string | number, unknown>)[toKey(key)] = value;
  };
}
