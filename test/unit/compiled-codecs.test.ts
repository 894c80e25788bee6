/**
 * Differential tests of the compiled codecs against protobuf-es: random
 * messages of several schemas (seeded), every toJson option combination, and
 * valid, merged, truncated, corrupted and garbage binary input.
 *
 * They run against the protobuf-es the install holds: the runtime pins the
 * range its compiled codecs are tested against (`@bufbuild/protobuf` in
 * packages/runtime/package.json), and the first test fails when an installed
 * copy is outside it or when this file would compare against another copy than
 * the one the codecs use.
 */
import { deepStrictEqual, equal, notEqual, ok } from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { describe, it } from "node:test";
import { promisify } from "node:util";
import {
  create,
  createRegistry,
  type DescField,
  type DescMessage,
  equals,
  fromBinary,
  fromJson,
  type Registry,
  toBinary,
  toJson,
} from "@bufbuild/protobuf";
import { anyPack } from "@bufbuild/protobuf/wkt";
import { file_bench_v1_bench, ListItemsResponseSchema } from "../../bench/gen/bench/v1/bench_pb.js";
import { fullItem } from "../../bench/service.js";
import {
  file_library_v1_library,
  ListBooksResponseSchema,
  ShelfSchema,
  WatchShelfResponseSchema,
} from "../../examples/library/src/gen/library/v1/library_pb.js";
import {
  compiledFromBinary,
  decodeCompiled,
} from "../../packages/runtime/src/codec/compiled-binary-reader.js";
import {
  compiledToBinary,
  encodeCompiled,
} from "../../packages/runtime/src/codec/compiled-binary-writer.js";
import { compiledCodec } from "../../packages/runtime/src/codec/compiled-codec.js";
import {
  compiledFromJson,
  readCompiled,
} from "../../packages/runtime/src/codec/compiled-json-reader.js";
import {
  compiledToJson,
  convertCompiled,
  failed,
} from "../../packages/runtime/src/codec/compiled-json-writer.js";
import { protobufEsCodec } from "../../packages/runtime/src/codec/protobuf-es-codec.js";
import {
  file_codecs_v1_codecs,
  MapsSchema,
  NodeSchema,
  ScalarsSchema,
  WrappedSchema,
} from "../gen/codecs/v1/codecs_pb.js";
import { EditionSchema, file_codecs_v1_editions } from "../gen/codecs/v1/editions_pb.js";
import {
  file_codecs_v1_legacy,
  GroupedSchema,
  LegacySchema,
  RequiredSchema,
} from "../gen/codecs/v1/legacy_pb.js";
import { file_conformance_v1_query, QueryRequestSchema } from "../gen/conformance/v1/query_pb.js";
import { prng } from "../support/prng.js";

const registry = createRegistry(
  file_codecs_v1_codecs,
  file_codecs_v1_legacy,
  file_codecs_v1_editions,
  file_conformance_v1_query,
  file_bench_v1_bench,
  file_library_v1_library,
);

class Gen {
  readonly #r: () => number;
  constructor(seed: number) {
    this.#r = prng(seed);
  }
  num(): number {
    return this.#r();
  }
  int(n: number): number {
    return Math.floor(this.#r() * n);
  }
  chance(p: number): boolean {
    return this.#r() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)] as T;
  }
  bigint(bits: number, signed: boolean): bigint {
    let v = 0n;
    for (let i = 0; i < bits; i += 16) v = (v << 16n) | BigInt(this.int(0x10000));
    v &= (1n << BigInt(bits)) - 1n;
    return signed ? BigInt.asIntN(bits, v) : v;
  }
  string(): string {
    return this.pick([
      "",
      "a",
      "hello world",
      "é",
      "日本語のテキスト",
      "😀 emoji",
      "\u0000nul",
      'quote " backslash \\ newline \n tab \t',
      "\uFEFFbom",
      "\ud800 lone",
      "constructor",
      "__proto__",
      "x".repeat(40),
      "long ascii text that is longer than twenty-four bytes",
      "ünïcödé ".repeat(6),
      String(this.int(1000)),
    ]);
  }
  bytes(): Uint8Array {
    const b = new Uint8Array(this.int(this.chance(0.2) ? 0 : 40));
    for (let i = 0; i < b.length; i++) b[i] = this.int(256);
    return b;
  }
}

/** A random value for a scalar type (ScalarType numbering). */
function scalar(g: Gen, type: number, longAsString: boolean): unknown {
  const long = (v: bigint) => (longAsString ? String(v) : v);
  switch (type) {
    case 1: // double
      return g.pick([
        0,
        -0,
        1.5,
        -2.25,
        Number.NaN,
        Infinity,
        -Infinity,
        1e21,
        5e-324,
        0.1,
        g.num() * 1e6,
      ]);
    case 2: // float
      return g.pick([
        0,
        -0,
        1.5,
        Number.NaN,
        Infinity,
        -Infinity,
        Math.fround(g.num() * 1000),
        3.4e38,
      ]);
    case 3: // int64
    case 16: // sfixed64
    case 18: // sint64
      return long(
        g.pick([0n, -1n, 1n, 9223372036854775807n, -9223372036854775808n, g.bigint(64, true)]),
      );
    case 4: // uint64
    case 6: // fixed64
      return long(g.pick([0n, 1n, 18446744073709551615n, g.bigint(64, false)]));
    case 5: // int32
    case 15: // sfixed32
    case 17: // sint32
      return g.pick([0, 1, -1, 2147483647, -2147483648, g.int(100000) - 50000]);
    case 13: // uint32
    case 7: // fixed32
      return g.pick([0, 1, 4294967295, g.int(100000)]);
    case 8:
      return g.chance(0.5);
    case 9:
      return g.string();
    case 12:
      return g.bytes();
  }
  throw new Error(`scalar type ${type}`);
}

function mapKey(g: Gen, type: number): string | number | bigint | boolean {
  if (type === 8) return g.chance(0.5);
  if (type === 9) return g.string();
  return scalar(g, type, false) as number | bigint;
}

function enumValue(g: Gen, field: DescField): number {
  const e = field.enum as NonNullable<DescField["enum"]>;
  if (e.open && g.chance(0.15)) return g.pick([7, -3, 99]);
  return g.pick(e.values).number;
}

function randomJson(g: Gen, depth: number): unknown {
  switch (g.int(depth > 2 ? 4 : 6)) {
    case 0:
      return null;
    case 1:
      return g.pick([0, 1.5, -3, 1e10]);
    case 2:
      return g.string();
    case 3:
      return g.chance(0.5);
    case 4:
      return Array.from({ length: g.int(3) }, () => randomJson(g, depth + 1));
    default:
      return Object.fromEntries(
        Array.from({ length: g.int(3) }, () => [g.string(), randomJson(g, depth + 1)]),
      );
  }
}

/** An init object for `create` (message fields as inits, wrappers unwrapped where singular). */
function wktInit(g: Gen, desc: DescMessage, depth: number): unknown {
  switch (desc.typeName) {
    case "google.protobuf.Timestamp":
      return {
        seconds: BigInt(g.int(253402300799 + 62135596800) - 62135596800),
        nanos: g.pick([0, 1000000, 1000, 1, g.int(1000000000)]),
      };
    case "google.protobuf.Duration": {
      const seconds = BigInt(g.int(2000000) - 1000000);
      const nanos = g.int(1000000000);
      return {
        seconds,
        nanos: seconds < 0n ? -nanos : seconds > 0n ? nanos : g.pick([nanos, -nanos]),
      };
    }
    case "google.protobuf.FieldMask":
      return { paths: g.pick([[], ["a"], ["foo_bar", "x.y_z"]]) };
    case "google.protobuf.Empty":
      return {};
    case "google.protobuf.Struct":
      return randomJson(g, 4) ?? {};
    case "google.protobuf.Value": {
      const j = randomJson(g, depth);
      return valueInit(j);
    }
    case "google.protobuf.ListValue":
      return { values: Array.from({ length: g.int(3) }, () => valueInit(randomJson(g, 3))) };
    case "google.protobuf.Any":
      if (g.chance(0.2)) return {};
      if (g.chance(0.1))
        return { typeUrl: "type.googleapis.com/unknown.Type", value: new Uint8Array() };
      return anyPack(
        ScalarsSchema,
        create(ScalarsSchema, messageInit(g, ScalarsSchema, 3) as never),
      );
  }
  const f = desc.fields[0] as DescField;
  return { value: scalar(g, f.scalar as number, false) };
}

function valueInit(j: unknown): unknown {
  if (j === null) return { kind: { case: "nullValue", value: 0 } };
  if (typeof j === "number") return { kind: { case: "numberValue", value: j } };
  if (typeof j === "string") return { kind: { case: "stringValue", value: j } };
  if (typeof j === "boolean") return { kind: { case: "boolValue", value: j } };
  if (Array.isArray(j)) return { kind: { case: "listValue", value: { values: j.map(valueInit) } } };
  return {
    kind: {
      case: "structValue",
      value: {
        fields: Object.fromEntries(Object.entries(j as object).map(([k, v]) => [k, valueInit(v)])),
      },
    },
  };
}

function messageValue(g: Gen, field: DescField, desc: DescMessage, depth: number): unknown {
  if (desc.typeName.startsWith("google.protobuf.")) {
    const init = wktInit(g, desc, depth);
    // Singular wrapper fields hold the bare value.
    if (
      field.fieldKind === "message" &&
      field.oneof === undefined &&
      desc.typeName.endsWith("Value") &&
      desc.fields.length === 1 &&
      desc.fields[0]?.name === "value"
    )
      return (init as { value: unknown }).value;
    return init;
  }
  return messageInit(g, desc, depth + 1);
}

function fieldValue(g: Gen, field: DescField, depth: number): unknown {
  const las = "longAsString" in field && field.longAsString === true;
  switch (field.fieldKind) {
    case "scalar":
      return scalar(g, field.scalar, las);
    case "enum":
      return enumValue(g, field);
    case "message":
      return messageValue(g, field, field.message, depth);
    case "list":
      return Array.from({ length: g.int(4) }, () =>
        field.listKind === "scalar"
          ? scalar(g, field.scalar, las)
          : field.listKind === "enum"
            ? enumValue(g, field)
            : messageValue(g, field, field.message, depth),
      );
    case "map": {
      const obj: Record<string, unknown> = {};
      for (let i = g.int(4); i > 0; i--) {
        const k = mapKey(g, field.mapKey);
        const key = typeof k === "string" || typeof k === "number" ? k : String(k);
        obj[key] =
          field.mapKind === "scalar"
            ? scalar(g, field.scalar, false)
            : field.mapKind === "enum"
              ? enumValue(g, field)
              : messageValue(g, field, field.message, depth);
      }
      return obj;
    }
  }
}

function messageInit(g: Gen, desc: DescMessage, depth: number): Record<string, unknown> {
  const init: Record<string, unknown> = {};
  if (depth > 4) return init;
  for (const member of desc.members) {
    if (member.kind === "oneof") {
      if (g.chance(0.6)) {
        const f = g.pick(member.fields);
        init[member.localName] = { case: f.localName, value: fieldValue(g, f, depth) };
      }
    } else if (g.chance(depth === 0 ? 0.7 : 0.45)) {
      if (member.fieldKind === "message" && depth > 3) continue;
      init[member.localName] = fieldValue(g, member, depth);
    }
  }
  return init;
}

const jsonOptionSets = Array.from({ length: 8 }, (_, i) => ({
  alwaysEmitImplicit: (i & 1) !== 0,
  useProtoFieldName: (i & 2) !== 0,
  enumAsInteger: (i & 4) !== 0,
  registry,
}));

/** JSON text with bigint and bytes made visible, keeping key order. */
function shape(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => {
    if (typeof v === "bigint") return `${v}n`;
    if (v instanceof Uint8Array) return `bytes:${Buffer.isBuffer(v) ? "buf:" : ""}${Array.from(v)}`;
    if (typeof v === "number" && !Number.isFinite(v)) return String(v);
    if (Object.is(v, -0)) return "-0";
    return v;
  });
}

function outcome<T>(f: () => T): { value: T } | { error: string } {
  try {
    return { value: f() };
  } catch (err) {
    return { error: String(err) };
  }
}

function assertSameJson(schema: DescMessage, message: unknown, label: string): void {
  for (const options of jsonOptionSets) {
    const expected = outcome(() => JSON.stringify(toJson(schema, message as never, options)));
    const actual = outcome(() => JSON.stringify(compiledToJson(schema, message, options)));
    deepStrictEqual(actual, expected, `${label} ${JSON.stringify({ ...options, registry: 0 })}`);
  }
}

function assertSameEncode(schema: DescMessage, message: unknown, label: string): void {
  const expected = outcome(() => Array.from(toBinary(schema, message as never)));
  const actual = outcome(() => Array.from(compiledToBinary(schema)(message as never)));
  deepStrictEqual(actual, expected, `${label} toBinary`);
}

const readOptionSets = [
  { ignoreUnknownFields: false, registry },
  { ignoreUnknownFields: true, registry },
];

function assertSameFromJson(schema: DescMessage, json: unknown, label: string): void {
  for (const options of readOptionSets) {
    const expected = outcome(() => fromJson(schema, json as never, options));
    const actual = outcome(() => compiledFromJson(schema, json, options));
    if ("error" in expected) {
      deepStrictEqual(actual, expected, `${label} fromJson`);
      continue;
    }
    ok("value" in actual, `${label} fromJson: ${"error" in actual ? actual.error : ""}`);
    deepStrictEqual(actual.value, expected.value, `${label} fromJson`);
    equal(shape(actual.value), shape(expected.value), `${label} fromJson`);
  }
}

/** JSON variations: values of other types, nulls, unknown, duplicate and numeric keys. */
function jsonMutations(g: Gen, json: unknown): unknown[] {
  const out: unknown[] = [];
  const paths: Array<{ parent: Record<string, unknown> | unknown[]; key: string | number }> = [];
  const walk = (v: unknown) => {
    if (Array.isArray(v))
      v.forEach((item, i) => {
        paths.push({ parent: v, key: i });
        walk(item);
      });
    else if (v !== null && typeof v === "object")
      for (const [k, item] of Object.entries(v)) {
        paths.push({ parent: v as Record<string, unknown>, key: k });
        walk(item);
      }
  };
  for (let n = 0; n < 6; n++) {
    const copy = JSON.parse(JSON.stringify(json)) as unknown;
    paths.length = 0;
    walk(copy);
    if (paths.length === 0) {
      out.push(copy);
      continue;
    }
    const { parent, key } = g.pick(paths);
    const replacement = g.pick<unknown>([
      null,
      "",
      "0",
      "1",
      "-1",
      " 1",
      "1e2",
      "0x10",
      "007",
      "18446744073709551615",
      "-9223372036854775809",
      "NaN",
      "Infinity",
      "x",
      "\ud800",
      "SHADE_DARK",
      "SIZE_LARGE",
      "AAEC",
      "AAE=",
      "AAE",
      "_-8",
      0,
      -0,
      1,
      -1,
      1.5,
      2147483648,
      -2147483649,
      4294967296,
      1e300,
      true,
      false,
      [],
      [null],
      {},
      { x: 1 },
    ]);
    const k = key as never;
    (parent as Record<string, unknown>)[k] = replacement;
    if (g.chance(0.3) && !Array.isArray(parent))
      (parent as Record<string, unknown>)[
        g.pick(["unknownKey", "1", "[codecs.v1.ext]", "__proto__"])
      ] = 1;
    out.push(copy);
  }
  return out;
}

function assertSameDecode(schema: DescMessage, bytes: Uint8Array, label: string): void {
  const decode = compiledFromBinary(schema);
  const expected = outcome(() => fromBinary(schema, bytes));
  const actual = outcome(() => decode(bytes));
  if ("error" in expected) {
    deepStrictEqual(actual, expected, label);
    return;
  }
  ok("value" in actual, `${label}: ${"error" in actual ? actual.error : ""}`);
  deepStrictEqual(actual.value, expected.value, label);
  equal(shape(actual.value), shape(expected.value), label);
  // equals() follows IEEE (NaN is not equal to itself): compare only where it holds for fromBinary.
  if (equals(schema as never, fromBinary(schema, bytes) as never, expected.value as never))
    ok(equals(schema as never, actual.value as never, expected.value as never), label);
}

function mutations(g: Gen, bytes: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  const copy = () => new Uint8Array(bytes);
  if (bytes.length > 0) {
    out.push(bytes.subarray(0, g.int(bytes.length)));
    const flipped = copy();
    const at = g.int(flipped.length);
    flipped[at] = (flipped[at] as number) ^ (1 << g.int(8));
    out.push(flipped);
    const poked = copy();
    poked[g.int(poked.length)] = g.pick([0x00, 0x80, 0xff, 0x7f, 0x0a, 0x12]);
    out.push(poked);
  }
  const merged = new Uint8Array(bytes.length * 2);
  merged.set(bytes);
  merged.set(bytes, bytes.length);
  out.push(merged);
  // An unknown varint field (no. 900) and an unknown length-delimited one (no. 901).
  out.push(Uint8Array.from([...bytes, 0xa0, 0x38, 0x05, 0xaa, 0x38, 0x02, 0x61, 0x62]));
  out.push(Uint8Array.from({ length: g.int(24) }, () => g.int(256)));
  out.push(
    Uint8Array.from([
      ...bytes.subarray(0, g.int(bytes.length + 1)),
      ...Array.from({ length: 4 }, () => g.int(256)),
    ]),
  );
  return out;
}

const schemas: Array<{ schema: DescMessage; compiledBinary: boolean; count: number }> = [
  { schema: ScalarsSchema, compiledBinary: true, count: 200 },
  { schema: MapsSchema, compiledBinary: true, count: 100 },
  { schema: NodeSchema, compiledBinary: true, count: 80 },
  { schema: WrappedSchema, compiledBinary: false, count: 30 },
  { schema: LegacySchema, compiledBinary: true, count: 120 },
  { schema: RequiredSchema, compiledBinary: true, count: 40 },
  { schema: GroupedSchema, compiledBinary: false, count: 40 },
  { schema: EditionSchema, compiledBinary: true, count: 80 },
  { schema: QueryRequestSchema, compiledBinary: false, count: 60 },
  { schema: ListItemsResponseSchema, compiledBinary: true, count: 20 },
  { schema: ShelfSchema, compiledBinary: true, count: 30 },
  { schema: ListBooksResponseSchema, compiledBinary: true, count: 20 },
  { schema: WatchShelfResponseSchema, compiledBinary: true, count: 30 },
];

/** Schemas whose JSON (without well-known types or bytes) the compiled JSON reader takes. */
const jsonReadCompiled = new Set<DescMessage>([ListItemsResponseSchema, ShelfSchema]);

describe("the protobuf-es the compiled codecs are tested against", () => {
  const runtimeJson = new URL("../../packages/runtime/package.json", import.meta.url);
  const manifest = JSON.parse(readFileSync(runtimeJson, "utf8")) as {
    dependencies?: Record<string, string>;
    peerDependencies?: Record<string, string>;
  };
  const range =
    manifest.peerDependencies?.["@bufbuild/protobuf"] ??
    manifest.dependencies?.["@bufbuild/protobuf"];

  it("is the copy the runtime resolves, and every installed copy is in the runtime's range", async () => {
    ok(
      range !== undefined,
      "the runtime declares the @bufbuild/protobuf range it is tested against",
    );
    const fromRuntime = createRequire(runtimeJson).resolve("@bufbuild/protobuf");
    const fromHere = createRequire(import.meta.url).resolve("@bufbuild/protobuf");
    equal(fromHere, fromRuntime, "this test compares against another copy than the codecs use");
    // npm checks each copy against the range of the package that depends on
    // it (`invalid`), the runtime's pinned range included.
    const { stdout } = await promisify(execFile)(
      "npm",
      ["ls", "@bufbuild/protobuf", "--all", "--json"],
      { cwd: new URL("../..", import.meta.url) },
    ).catch((err: { stdout: string }) => err);
    const copies: string[] = [];
    const walk = (node: { dependencies?: Record<string, unknown> }, path: string) => {
      for (const [name, child] of Object.entries(node.dependencies ?? {})) {
        const dep = child as { version?: string; invalid?: string };
        if (name === "@bufbuild/protobuf") {
          equal(dep.invalid, undefined, `${path} > ${name}@${dep.version}: ${dep.invalid}`);
          copies.push(`${path} > ${name}@${dep.version}`);
        }
        walk(dep as never, `${path} > ${name}`);
      }
    };
    walk(JSON.parse(stdout), "(root)");
    ok(
      copies.some((c) => c.includes("@ts-gateway/runtime > @bufbuild/protobuf@")),
      copies.join("\n"),
    );
  });

  it("is reached through the Codec seam: compiledCodec is the compiled one here", () => {
    equal(compiledCodec.name, "compiled");
    const options = { alwaysEmitImplicit: true, useProtoFieldName: false, enumAsInteger: false };
    const shelf = create(ShelfSchema, { name: "shelves/1", theme: "Poetry" });
    const bytes = compiledCodec.binary(ShelfSchema).encode(shelf);
    deepStrictEqual(bytes, protobufEsCodec.binary(ShelfSchema).encode(shelf));
    ok(equals(ShelfSchema, compiledCodec.binary(ShelfSchema).decode(bytes), shelf));
    deepStrictEqual(
      compiledCodec.toJson(ShelfSchema, shelf, options),
      protobufEsCodec.toJson(ShelfSchema, shelf, options),
    );
  });
});

describe("compiled codecs equal protobuf-es", () => {
  for (const { schema, compiledBinary, count } of schemas) {
    it(`${schema.typeName}: toJson for every option set, fromBinary for valid and broken input`, () => {
      const g = new Gen(0x5eed ^ schema.typeName.length);
      let compiledDecodes = 0;
      let compiledJson = 0;
      let compiledEncodes = 0;
      let compiledReads = 0;
      let previous: { plain: unknown; protoNamed: unknown } | undefined;
      for (let i = 0; i < count; i++) {
        const made = outcome(() => create(schema, messageInit(g, schema, 0) as never));
        if ("error" in made) throw new Error(`generator: ${made.error}`);
        const message = made.value;
        assertSameJson(schema, message, `${schema.typeName} #${i} created`);
        if (convertCompiled(schema, message, jsonOptionSets[0] as never) !== failed) compiledJson++;
        assertSameEncode(schema, message, `${schema.typeName} #${i} created`);
        if (encodeCompiled(schema, message as never) !== undefined) compiledEncodes++;
        for (const options of jsonOptionSets) {
          const json = outcome(() => toJson(schema, message, options));
          if ("error" in json) continue;
          assertSameFromJson(
            schema,
            json.value,
            `${schema.typeName} #${i} ${options.useProtoFieldName} ${options.enumAsInteger} ${options.alwaysEmitImplicit}`,
          );
          if (!options.enumAsInteger && readCompiled(schema, json.value) !== undefined)
            compiledReads++;
        }
        const plain = outcome(() => toJson(schema, message, { registry }));
        // Two messages' JSON in one object: keys by both names, two members of one oneof.
        const protoNamed = outcome(() =>
          toJson(schema, message, { registry, useProtoFieldName: true }),
        );
        if ("value" in plain && "value" in protoNamed && previous !== undefined) {
          const [a, b] = [previous.plain, previous.protoNamed] as Record<string, unknown>[];
          assertSameFromJson(
            schema,
            { ...a, ...(plain.value as object) },
            `${schema.typeName} #${i} merged`,
          );
          assertSameFromJson(
            schema,
            { ...b, ...(plain.value as object) },
            `${schema.typeName} #${i} merged names`,
          );
        }
        if ("value" in plain && "value" in protoNamed)
          previous = { plain: plain.value, protoNamed: protoNamed.value };
        if ("value" in plain)
          for (const [j, mutated] of jsonMutations(g, plain.value).entries())
            assertSameFromJson(
              schema,
              mutated,
              `${schema.typeName} #${i} json mutation ${j} ${JSON.stringify(mutated)}`,
            );
        const encoded = outcome(() => toBinary(schema, message));
        if ("error" in encoded) continue; // e.g. a required field left unset
        const bytes = encoded.value;
        for (const input of [bytes, Buffer.from(bytes)]) {
          assertSameDecode(schema, input, `${schema.typeName} #${i} decode`);
        }
        if (decodeCompiled(schema, bytes) !== undefined) compiledDecodes++;
        const decoded = fromBinary(schema, bytes);
        assertSameJson(schema, decoded, `${schema.typeName} #${i} decoded`);
        assertSameEncode(schema, decoded, `${schema.typeName} #${i} decoded`);
        for (const [j, input] of mutations(g, bytes).entries()) {
          assertSameDecode(schema, input, `${schema.typeName} #${i} mutation ${j}`);
          const broken = outcome(() => fromBinary(schema, input));
          if ("value" in broken) {
            assertSameJson(schema, broken.value, `${schema.typeName} #${i} mutation ${j} json`);
            assertSameEncode(schema, broken.value, `${schema.typeName} #${i} mutation ${j}`);
          }
        }
      }
      // The compiled reader really ran (not only its fromBinary fallback) where the schema allows it.
      if (compiledBinary)
        ok(
          compiledDecodes > count / 2,
          `${compiledDecodes} of ${count} decoded by the compiled path`,
        );
      else equal(compiledDecodes, 0);
      if (jsonReadCompiled.has(schema))
        ok(
          compiledReads > count,
          `${compiledReads} of ${count * 4} read by the compiled JSON path`,
        );
      if (compiledBinary && schema !== RequiredSchema)
        ok(
          compiledEncodes > count / 2,
          `${compiledEncodes} of ${count} encoded by the compiled path`,
        );
      if (![RequiredSchema, WrappedSchema, QueryRequestSchema].includes(schema as never))
        ok(compiledJson > count / 2, `${compiledJson} of ${count} converted by the compiled path`);
    });
  }

  it("the compiled JSON path handles the bench list itself, without falling back", () => {
    const list = create(ListItemsResponseSchema, {
      items: Array.from({ length: 3 }, (_, i) => fullItem(String(i))),
      nextPageToken: "t",
    });
    const json = convertCompiled(ListItemsResponseSchema, list, jsonOptionSets[0] as never);
    notEqual(json, failed);
    deepStrictEqual(json, toJson(ListItemsResponseSchema, list));
    ok(decodeCompiled(ListItemsResponseSchema, toBinary(ListItemsResponseSchema, list)));
  });

  const badValues: Array<[string, unknown]> = [
    ["string in int32", "12"],
    ["float in int32", 1.5],
    ["number in string", 5],
    ["null", null],
    ["undefined", undefined],
    ["object", {}],
    ["bigint", 5n],
    ["array", [1]],
    ["bytes", new Uint8Array([1])],
    ["numeric string", "0"],
    ["boolean", true],
  ];
  it("values of the wrong type give toJson's and toBinary's result or error", () => {
    const g = new Gen(99);
    for (const schema of [ScalarsSchema, MapsSchema, NodeSchema, LegacySchema]) {
      for (let i = 0; i < 60; i++) {
        const message = create(schema, messageInit(g, schema, 0) as never) as unknown as Record<
          string,
          unknown
        >;
        const field = g.pick(schema.fields);
        const [label, bad] = g.pick(badValues);
        const target = field.oneof === undefined ? field.localName : field.oneof.localName;
        message[target] = field.oneof === undefined ? bad : { case: field.localName, value: bad };
        assertSameJson(schema, message, `${schema.typeName}.${field.name} = ${label}`);
        assertSameEncode(schema, message, `${schema.typeName}.${field.name} = ${label}`);
      }
    }
  });

  const jsonCases: Array<[DescMessage, string]> = [
    [NodeSchema, '{"name":"a","pickString":"x","pickInt64":"5"}'],
    [NodeSchema, '{"pickString":"x","pick_string":"y"}'],
    [NodeSchema, '{"pickString":null,"pickInt64":"5"}'],
    [NodeSchema, '{"pickShade":"SHADE_BRIGHT","otherBool":true}'],
    [NodeSchema, '{"pickShade":2}'],
    [NodeSchema, '{"pickShade":"SHADE_NOPE"}'],
    [NodeSchema, '{"child":{"child":{"name":"deep"}},"children":[{"name":"a"},{}]}'],
    [NodeSchema, '{"children":[null]}'],
    [NodeSchema, '{"__proto__":{"name":"x"}}'],
    [NodeSchema, '{"name":"\ud800"}'],
    [NodeSchema, '{"maps":{"stringString":{"\ud800":"x"}}}'],
    [NodeSchema, '{"maps":{"stringString":{"__proto__":"x","a":"b"}}}'],
    [NodeSchema, '{"maps":{"stringNode":{"a":{"name":"n"},"b":null}}}'],
    [NodeSchema, '{"maps":{"int32Int64":{"1":"2"}}}'],
    [
      ScalarsSchema,
      '{"fInt64":"007","fUint64":"18446744073709551615","sInt64":"007","sUint64":" 7"}',
    ],
    [ScalarsSchema, '{"fInt64":"0x10"}'],
    [ScalarsSchema, '{"fInt64":"-0","sInt64":"-0"}'],
    [ScalarsSchema, '{"fInt64":5}'],
    [ScalarsSchema, '{"fUint64":"-1"}'],
    [ScalarsSchema, '{"fInt64":"9223372036854775808"}'],
    [ScalarsSchema, '{"fInt32":"5"}'],
    [ScalarsSchema, '{"fInt32":2147483648,"fUint32":-1}'],
    [ScalarsSchema, '{"fFloat":1e39}'],
    [ScalarsSchema, '{"fFloat":3.4e38,"fDouble":-0,"oDouble":0,"oString":"","oBool":false}'],
    [ScalarsSchema, '{"fBytes":"AAE=","oBytes":""}'],
    [ScalarsSchema, '{"rInt32":[1,2,3],"rString":["a",null]}'],
    [ScalarsSchema, '{"rShade":["SHADE_DARK","SHADE_LIGHT"],"rInt64":["1","-2"],"sSint64":["3"]}'],
    [ScalarsSchema, '{"renamed":"x","custom":"y"}'],
    [ScalarsSchema, '{"custom":"y"}'],
    [ScalarsSchema, '{"fDouble":"NaN"}'],
    [LegacySchema, '{"name":"x","count":3,"sizes":["SIZE_LARGE"],"child":{"flag":false}}'],
    [LegacySchema, '{"choiceName":"a","choiceSize":"SIZE_SMALL"}'],
    [EditionSchema, '{"name":"","count":0,"big":"0","numbers":[1],"child":{"ratio":2.5}}'],
    [
      ListItemsResponseSchema,
      '{"items":[{"id":"1","priceCents":"5","labels":{"a":"b"},"kind":"KIND_BOOK"}]}',
    ],
    [ListItemsResponseSchema, "[]"],
    [ListItemsResponseSchema, '"x"'],
  ];
  it("hand-written JSON edge cases decode like fromJson", () => {
    for (const [schema, text] of jsonCases) assertSameFromJson(schema, JSON.parse(text), text);
    // The canonical ones really take the compiled path.
    ok(readCompiled(NodeSchema, JSON.parse('{"child":{"name":"a"},"pickShade":"SHADE_BRIGHT"}')));
    ok(readCompiled(ScalarsSchema, JSON.parse('{"fInt64":"007","sInt64":"7","rInt32":[1]}')));
    equal(readCompiled(NodeSchema, JSON.parse('{"pickString":"x","pickInt64":"5"}')), undefined);
  });

  it("deep nesting beyond fromBinary's recursion limit fails like fromBinary", () => {
    let bytes = new Uint8Array();
    for (let i = 0; i < 120; i++) {
      const next = new Uint8Array(bytes.length + 2);
      next[0] = 0x12; // Node.child
      next[1] = bytes.length; // fits while < 128
      next.set(bytes, 2);
      bytes = next.length < 128 ? next : bytes;
    }
    assertSameDecode(NodeSchema, bytes, "nested");
    let deep: Uint8Array = new Uint8Array();
    for (let i = 0; i < 110; i++) {
      const len = deep.length;
      const prefix = len < 128 ? [0x12, len] : [0x12, (len & 0x7f) | 0x80, len >> 7];
      deep = Uint8Array.from([...prefix, ...deep]);
    }
    assertSameDecode(NodeSchema, deep, "too deep");
    ok("error" in outcome(() => fromBinary(NodeSchema, deep)));
  });
});

// Keep the registry type referenced for readers of the option sets.
export type { Registry };
