import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { create, fromJson } from "@bufbuild/protobuf";
import { DurationSchema, TimestampSchema } from "@bufbuild/protobuf/wkt";
import {
  applyQueryParams,
  applyQueryPlan,
  compileQueryPlan,
  type QueryOptions,
} from "../../packages/runtime/src/core/query-params.js";
import {
  Color,
  NestedSchema,
  type QueryRequest,
  QueryRequestSchema,
} from "../gen/conformance/v1/query_pb.js";
import { prng } from "../support/prng.js";

const lenient: QueryOptions = { exclude: new Set(), rejectUnknown: false };
const strict: QueryOptions = { exclude: new Set(), rejectUnknown: true };

/** Applies a query to a fresh JSON object; decodes the message when it parsed. */
function run(query: string, options: QueryOptions = lenient, body: Record<string, unknown> = {}) {
  const json: Record<string, unknown> = { ...body };
  const result = applyQueryParams(QueryRequestSchema, json, query, options);
  const message = result.ok ? fromJson(QueryRequestSchema, json as never) : undefined;
  return { result, json, message };
}

const bytesFbFf = new Uint8Array([0xfb, 0xff]);
const ts = (seconds: bigint, nanos = 0) => create(TimestampSchema, { seconds, nanos });

describe("applyQueryParams: values end to end through fromJson", () => {
  const cases: { query: string; want: Partial<QueryRequest>; options?: QueryOptions }[] = [
    { query: "name=hello", want: { name: "hello" } },
    { query: "name=a+b%20c", want: { name: "a b c" } },
    { query: "name=%E2%82%AC%26%3D", want: { name: "€&=" } },
    { query: "name", want: { name: "" } },
    { query: "name=a=b", want: { name: "a=b" } },
    { query: "pageSize=10", want: { pageSize: 10 } },
    { query: "page_size=-2147483648", want: { pageSize: -2147483648 } },
    { query: "page_size=%2B7", want: { pageSize: 7 } },
    { query: "page_size=0007", want: { pageSize: 7 } },
    { query: "big=9223372036854775807", want: { big: 9223372036854775807n } },
    { query: "big=-9223372036854775808", want: { big: -9223372036854775808n } },
    { query: "big=9007199254740993", want: { big: 9007199254740993n } },
    { query: "big=-007", want: { big: -7n } },
    { query: "u64=18446744073709551615", want: { u64: 18446744073709551615n } },
    { query: "s64=-5&f64=5&sf64=-6", want: { s64: -5n, f64: 5n, sf64: -6n } },
    {
      query: "u32=4294967295&f32=0&s32=-1&sf32=-2",
      want: { u32: 4294967295, f32: 0, s32: -1, sf32: -2 },
    },
    { query: "ratio=1.5&score=-1e-3", want: { ratio: 1.5, score: -0.001 } },
    { query: "ratio=.5&score=5.", want: { ratio: 0.5, score: 5 } },
    { query: "score=NaN", want: { score: Number.NaN } },
    { query: "score=Infinity", want: { score: Number.POSITIVE_INFINITY } },
    { query: "score=-inf", want: { score: Number.NEGATIVE_INFINITY } },
    { query: "ratio=3.4028234663852886e38", want: { ratio: 3.4028234663852886e38 } },
    { query: "flag=true", want: { flag: true } },
    { query: "flag=1", want: { flag: true } },
    { query: "flag=T", want: { flag: true } },
    { query: "flag=False", want: { flag: false } },
    { query: "flag=0", want: { flag: false } },
    { query: "data=%2B%2F8%3D", want: { data: bytesFbFf } },
    { query: "data=%2B%2F8", want: { data: bytesFbFf } },
    { query: "data=-_8", want: { data: bytesFbFf } },
    { query: "data=-_8=", want: { data: bytesFbFf } },
    { query: "data=+/8=", want: { data: bytesFbFf } }, // unescaped + arrives as a space
    { query: "data=", want: { data: new Uint8Array(0) } },
    { query: "color=COLOR_RED", want: { color: Color.RED } },
    { query: "color=2", want: { color: Color.GREEN } },
    { query: "opt_name=", want: { optName: "" } },
    { query: "tags=a&tags=b&tags=a", want: { tags: ["a", "b", "a"] } },
    { query: "ids=1&ids=9007199254740993", want: { ids: [1n, 9007199254740993n] } },
    { query: "colors=COLOR_RED&colors=2", want: { colors: [Color.RED, Color.GREEN] } },
    {
      query: "blobs=AQ&blobs=Ag%3D%3D",
      want: { blobs: [new Uint8Array([1]), new Uint8Array([2])] },
    },
    { query: "labels[a]=1&labels[b]=2", want: { labels: { a: "1", b: "2" } } },
    { query: "labels%5Bx%5D=y", want: { labels: { x: "y" } } },
    { query: "labels[a.b]=c&labels[]=e", want: { labels: { "a.b": "c", "": "e" } } },
    { query: "labels[a[b]]=c", want: { labels: { "a[b]": "c" } } },
    {
      query: "counts[01]=5&counts[-2]=9223372036854775807",
      want: { counts: { 1: 5n, [-2]: 9223372036854775807n } },
    },
    { query: "bool_map[True]=x&boolMap[0]=y", want: { boolMap: { true: "x", false: "y" } } },
    {
      query: "long_map[18446744073709551615]=x",
      want: { longMap: { "18446744073709551615": "x" } },
    },
    { query: "color_map[k]=COLOR_GREEN", want: { colorMap: { k: Color.GREEN } } },
    { query: "ttl_map[a]=2s", want: { ttlMap: { a: create(DurationSchema, { seconds: 2n }) } } },
    {
      query: "nested.name=x&nested.count=3&nested.displayName=d&nested.constructor=c",
      want: {
        nested: create(NestedSchema, { name: "x", count: 3, displayName: "d", constructor$: "c" }),
      },
    },
    {
      query: "nested.child.child.name=deep",
      want: {
        nested: create(NestedSchema, {
          child: { child: { name: "deep" } },
        }),
      },
    },
    {
      query: "create_time=2024-05-01T12:00:00.123456789Z",
      want: { createTime: ts(1714564800n, 123456789) },
    },
    { query: "createTime=2024-05-01T14:00:00%2B02:00", want: { createTime: ts(1714564800n) } },
    { query: "createTime=2024-05-01T14:00:00+02:00", want: { createTime: ts(1714564800n) } },
    { query: "createTime=2024-05-01t10:00:00-02:00", want: { createTime: ts(1714564800n) } },
    {
      query: "createTime=2024-05-01T12:00:00.5z",
      want: { createTime: ts(1714564800n, 500000000) },
    },
    { query: "ttl=1.5s", want: { ttl: create(DurationSchema, { seconds: 1n, nanos: 500000000 }) } },
    {
      query: "ttl=-0.5s",
      want: { ttl: create(DurationSchema, { seconds: 0n, nanos: -500000000 }) },
    },
    {
      query: "update_mask=a_b.c,displayName,x",
      want: {
        updateMask: {
          $typeName: "google.protobuf.FieldMask",
          paths: ["a_b.c", "display_name", "x"],
        },
      },
    },
    {
      query: "update_mask=",
      want: { updateMask: { $typeName: "google.protobuf.FieldMask", paths: [] } },
    },
    {
      query: `meta=${encodeURIComponent('{"a":1,"b":[true]}')}`,
      want: { meta: { a: 1, b: [true] } },
    },
    {
      query: "dyn=hello",
      want: {
        dyn: { $typeName: "google.protobuf.Value", kind: { case: "stringValue", value: "hello" } },
      },
    },
    {
      query: "dyn=42",
      want: {
        dyn: { $typeName: "google.protobuf.Value", kind: { case: "numberValue", value: 42 } },
      },
    },
    {
      query: "dyn=fals",
      want: {
        dyn: { $typeName: "google.protobuf.Value", kind: { case: "stringValue", value: "fals" } },
      },
    },
    {
      query: "dyn=null",
      want: { dyn: { $typeName: "google.protobuf.Value", kind: { case: "nullValue", value: 0 } } },
    },
    {
      query: `list_value=${encodeURIComponent('[1,"a"]')}`,
      want: {
        listValue: {
          $typeName: "google.protobuf.ListValue",
          values: [
            { $typeName: "google.protobuf.Value", kind: { case: "numberValue", value: 1 } },
            { $typeName: "google.protobuf.Value", kind: { case: "stringValue", value: "a" } },
          ],
        },
      },
    },
    { query: "wrapped_int64=9223372036854775807", want: { wrappedInt64: 9223372036854775807n } },
    { query: "wrappedString=&wrapped_bool=f", want: { wrappedString: "", wrappedBool: false } },
    {
      query: "wrapped_bytes=-_8&wrapped_double=NaN",
      want: { wrappedBytes: bytesFbFf, wrappedDouble: Number.NaN },
    },
    { query: "wrapped_uint32=5", want: { wrappedUint32: 5 } },
    {
      query: "times=1970-01-01T00:00:01Z&times=1970-01-01T00:00:02Z",
      want: { times: [ts(1n), ts(2n)] },
    },
    { query: "choice_name=x", want: { choice: { case: "choiceName", value: "x" } } },
    {
      query: "choice_nested.name=a&choiceNested.count=1",
      want: {
        choice: { case: "choiceNested", value: create(NestedSchema, { name: "a", count: 1 }) },
      },
    },
    { query: "customJson=v", want: { custom: "v" } },
    { query: "custom=v", want: { custom: "v" } },
    // Ignored: unknown keys, empty pairs, empty keys.
    { query: "unknown=1&&=x&nested.unknown=2&name=n&", want: { name: "n" } },
    { query: "", want: { name: "" } },
    { query: "&", want: { name: "" } },
    // Exclusions (path-bound and body fields) are skipped, by proto or JSON name.
    {
      query: "name=x&flag=1",
      options: { exclude: new Set(["name"]), rejectUnknown: true },
      want: { name: "", flag: true },
    },
    {
      query: "pageSize=3",
      options: { exclude: new Set(["page_size"]), rejectUnknown: true },
      want: { pageSize: 0 },
    },
    {
      query: "page_size=3",
      options: { exclude: new Set(["pageSize"]), rejectUnknown: true },
      want: { pageSize: 0 },
    },
    {
      query: "nested.name=x&nested.count=2",
      options: { exclude: new Set(["nested"]), rejectUnknown: true },
      want: { nested: undefined },
    },
    {
      query: "nested.name=x&nested.count=2",
      options: { exclude: new Set(["nested.name"]), rejectUnknown: true },
      want: { nested: create(NestedSchema, { count: 2 }) },
    },
    {
      query: "name.x=1",
      options: { exclude: new Set(["name"]), rejectUnknown: true },
      want: { name: "" },
    },
    {
      query: "name=x&a..b=%ZZ&unknown=1",
      options: { exclude: new Set(["*"]), rejectUnknown: true },
      want: { name: "" },
    },
  ];
  for (const c of cases) {
    it(c.query || "(empty)", () => {
      const { result, message } = run(c.query, c.options ?? lenient);
      assert.deepEqual(result, { ok: true, value: undefined });
      assert.ok(message);
      for (const [key, want] of Object.entries(c.want)) {
        assert.deepEqual(message[key as keyof QueryRequest], want, key);
      }
    });
  }
});

describe("applyQueryParams: errors name the parameter", () => {
  const cases: { query: string; error: string | RegExp; options?: QueryOptions }[] = [
    {
      query: "page_size=abc",
      error: 'invalid value "abc" for query parameter "page_size": not an integer',
    },
    {
      query: "pageSize=2147483648",
      error: 'invalid value "2147483648" for query parameter "pageSize": out of range for int32',
    },
    { query: "page_size=1.5", error: /"page_size": not an integer/ },
    { query: "page_size=1e3", error: /not an integer/ },
    { query: "page_size=0x10", error: /not an integer/ },
    { query: "page_size=", error: /not an integer/ },
    { query: "page_size=+", error: /not an integer/ },
    { query: "page_size=%201", error: /not an integer/ },
    { query: "u32=-1", error: /"u32": not an unsigned integer/ },
    { query: "u32=4294967296", error: /out of range for uint32/ },
    { query: "big=9223372036854775808", error: /out of range for int64/ },
    { query: "big=-9223372036854775809", error: /out of range for int64/ },
    { query: "big=123456789012345678901234", error: /out of range for int64/ },
    { query: "u64=18446744073709551616", error: /out of range for uint64/ },
    { query: "ratio=1e39", error: /"ratio": out of range for float/ },
    { query: "score=1e400", error: /out of range for double/ },
    { query: "score=abc", error: /not a number/ },
    { query: "score=1e", error: /not a number/ },
    { query: "score=.", error: /not a number/ },
    { query: "flag=yes", error: 'invalid value "yes" for query parameter "flag": not a bool' },
    { query: "flag", error: /"flag": not a bool/ },
    { query: "data=abc!", error: /"data": not base64/ },
    { query: "data=a", error: /not base64: bad length/ },
    { query: "data=ab===", error: /too much padding/ },
    { query: "data=abc==", error: /bad padding/ },
    { query: "color=PURPLE", error: /"color": not a value of enum conformance.v1.Color/ },
    { query: "color=7", error: /not a value of enum/ },
    { query: "colors=RED", error: /not a value of enum/ },
    {
      query: "name=a&name=b",
      error: 'multiple values for query parameter "name": the field is not repeated',
    },
    { query: "page_size=1&pageSize=1", error: /multiple values for query parameter "pageSize"/ },
    { query: "nested.name=a&nested.name=b", error: /multiple values/ },
    {
      query: "choice_name=a&choice_id=1",
      error: /"choice_id": fields "choice_name" and "choice_id" are both members of oneof "choice"/,
    },
    { query: "choice_name=a&choice_nested.name=b", error: /oneof "choice"/ },
    { query: "choice_nested.name=b&choice_id=1", error: /oneof "choice"/ },
    { query: "name.x=1", error: 'invalid query parameter "name.x": field "name" is not a message' },
    { query: "nested_list.name=x", error: /"nested_list.name": field "nested_list" is repeated/ },
    {
      query: "labels.x=1",
      error: /"labels.x": field "labels" is a map; address entries as labels\[key\]/,
    },
    {
      query: "create_time.seconds=1",
      error: /google.protobuf.Timestamp; its parts cannot be addressed/,
    },
    {
      query: "nested=x",
      error: /"nested": message field of type conformance.v1.Nested cannot be set/,
    },
    { query: "nested_list=x", error: /repeated message fields \(conformance.v1.Nested\)/ },
    { query: "nested_map[a]=x", error: /maps of messages \(conformance.v1.Nested\)/ },
    { query: "payload=x", error: /google.protobuf.Any cannot be given as a URL parameter/ },
    { query: "labels=x", error: /"labels": field "labels" is a map; use labels\[key\]=value/ },
    { query: "name[x]=y", error: /"name\[x\]": field "name" is not a map/ },
    {
      query: "counts[abc]=1",
      error: 'invalid map key "abc" in query parameter "counts[abc]": not an integer',
    },
    { query: "counts[1]=x", error: /invalid value "x" for query parameter "counts\[1\]"/ },
    { query: "bool_map[yes]=x", error: /not a bool/ },
    {
      query: "labels[a]=1&labels[a]=2",
      error: 'multiple values for map key "a" in query parameter "labels[a]"',
    },
    { query: "counts[1]=1&counts[01]=2", error: /multiple values for map key "01"/ },
    { query: "a..b=1", error: 'malformed query parameter "a..b": empty segment in field path' },
    { query: "nested..name=1", error: /malformed/ },
    { query: ".name=1", error: /malformed/ },
    { query: "name.=1", error: /malformed/ },
    { query: "[x]=1", error: /malformed query parameter "\[x\]"/ },
    { query: "[]=1", error: /malformed/ },
    {
      query: "name[=1",
      error: /malformed query parameter "name\[": expected the form field\[key\]/,
    },
    { query: "name]=1", error: /malformed/ },
    { query: "labels[x]y=1", error: /malformed/ },
    {
      query: "name=%ZZ",
      error: 'malformed query parameter "name": invalid percent-encoding in the value',
    },
    { query: "name=%E2%82", error: /invalid percent-encoding/ },
    { query: "name=%FF", error: /invalid percent-encoding/ },
    { query: "name=%", error: /invalid percent-encoding/ },
    { query: "%ZZ=1", error: 'malformed query parameter "%ZZ": invalid percent-encoding' },
    {
      query: "unknown=1",
      options: strict,
      error: 'unknown query parameter "unknown": no field "unknown" in conformance.v1.QueryRequest',
    },
    {
      query: "nested.unknown=1",
      options: strict,
      error:
        /unknown query parameter "nested.unknown": no field "unknown" in conformance.v1.Nested/,
    },
    {
      query: "create_time=2024-13-01T00:00:00Z",
      error: /"create_time": not an RFC 3339 timestamp/,
    },
    { query: "create_time=2024-05-01T25:00:00Z", error: /not an RFC 3339 timestamp/ },
    { query: "create_time=2024-05-01", error: /not an RFC 3339 timestamp/ },
    { query: "create_time=2024-05-01T00:00:00.1234567891Z", error: /not an RFC 3339 timestamp/ },
    { query: "create_time=2024-05-01T00:00:00Zjunk", error: /not an RFC 3339 timestamp/ },
    { query: "create_time=yesterday", error: /not an RFC 3339 timestamp/ },
    { query: "create_time=0000-12-31T00:00:00Z", error: /timestamp out of range/ },
    { query: "ttl=1.5", error: /"ttl": not a duration/ },
    { query: "ttl=1.5sx", error: /not a duration/ },
    { query: "ttl=s", error: /not a duration/ },
    { query: "ttl=1.s", error: /not a duration/ },
    { query: "ttl=1.1234567891s", error: /not a duration/ },
    { query: "ttl=315576000001s", error: /duration out of range/ },
    { query: "update_mask=a__b", error: /"a__b" has no lowerCamelCase form/ },
    { query: "update_mask=a+b", error: /not a field mask/ },
    { query: "meta=%5B1%5D", error: /"meta": not a JSON object/ },
    { query: "meta=%7B", error: /not valid JSON/ },
    { query: "list_value=%7B%7D", error: /not a JSON array/ },
    { query: "wrapped_int64=x", error: /"wrapped_int64": not an integer/ },
    { query: "times=x", error: /"times": not an RFC 3339 timestamp/ },
  ];
  for (const c of cases) {
    it(c.query, () => {
      const { result } = run(c.query, c.options ?? lenient);
      assert.equal(result.ok, false);
      if (result.ok) return;
      if (typeof c.error === "string") assert.equal(result.message, c.error);
      else assert.match(result.message, c.error);
    });
  }
});

describe("applyQueryParams: JSON shape", () => {
  it("merges into objects set before (path variables) under either alias", () => {
    const json: Record<string, unknown> = {
      nested: { display_name: "p" },
      choice_nested: { name: "x" },
    };
    const r = applyQueryParams(
      QueryRequestSchema,
      json,
      "nested.count=2&choiceNested.count=3",
      lenient,
    );
    assert.deepEqual(r, { ok: true, value: undefined });
    const m = fromJson(QueryRequestSchema, json as never);
    assert.deepEqual(m.nested, create(NestedSchema, { displayName: "p", count: 2 }));
    assert.deepEqual(m.choice, {
      case: "choiceNested",
      value: create(NestedSchema, { name: "x", count: 3 }),
    });
  });

  it("reports a oneof member set before by a path variable", () => {
    const r = applyQueryParams(QueryRequestSchema, { choiceName: "p" }, "choice_id=1", lenient);
    assert.equal(r.ok, false);
  });

  it("a compiled plan gives the same result and is reusable", () => {
    const plan = compileQueryPlan(QueryRequestSchema, {
      exclude: new Set(["name"]),
      rejectUnknown: true,
    });
    for (let i = 0; i < 3; i++) {
      const json: Record<string, unknown> = {};
      assert.deepEqual(applyQueryPlan(plan, json, "name=x&big=1&tags=a"), {
        ok: true,
        value: undefined,
      });
      assert.deepEqual(JSON.parse(JSON.stringify(json)), { big: "1", tags: ["a"] });
    }
  });

  it("an exclude path the schema does not have is a configuration error", () => {
    assert.throws(
      () =>
        compileQueryPlan(QueryRequestSchema, { exclude: new Set(["nope"]), rejectUnknown: false }),
      /cannot exclude "nope"/,
    );
  });
});

describe("applyQueryParams: prototype pollution", () => {
  const attacks = [
    "__proto__.polluted=1",
    "__proto__[polluted]=1",
    "constructor.prototype.polluted=1",
    "nested.__proto__.polluted=1",
    "nested.constructor.prototype.polluted=1",
    "prototype.polluted=1",
    "hasOwnProperty=1",
    "nested.hasOwnProperty=1",
    "labels[__proto__]=polluted",
    "labels[constructor]=1&labels[prototype]=2&labels[hasOwnProperty]=3",
    "__proto__=x",
    "toString=1",
  ];
  for (const query of attacks) {
    for (const options of [lenient, strict]) {
      it(`${query} (rejectUnknown: ${options.rejectUnknown})`, () => {
        const json = JSON.parse("{}") as Record<string, unknown>;
        applyQueryParams(QueryRequestSchema, json, query, options);
        assert.equal(({} as Record<string, unknown>).polluted, undefined);
        assert.equal(Object.getPrototypeOf(json), Object.prototype);
        assert.equal(typeof ({} as { hasOwnProperty: unknown }).hasOwnProperty, "function");
      });
    }
  }

  it("labels[__proto__] becomes a real map entry", () => {
    const json: Record<string, unknown> = {};
    const r = applyQueryParams(
      QueryRequestSchema,
      json,
      "labels[__proto__]=x&labels[constructor]=y",
      lenient,
    );
    assert.deepEqual(r, { ok: true, value: undefined });
    const labels = json.labels as Record<string, unknown>;
    assert.deepEqual(Object.keys(labels), ["__proto__", "constructor"]);
    assert.equal(Object.getOwnPropertyDescriptor(labels, "__proto__")?.value, "x");
    assert.equal(({} as Record<string, unknown>).x, undefined);
  });

  it("unknown dangerous keys are rejected with rejectUnknown", () => {
    const r = applyQueryParams(QueryRequestSchema, {}, "__proto__.polluted=1", strict);
    assert.equal(r.ok, false);
  });
});

describe("applyQueryParams: fuzz", () => {
  const keyParts = [
    ...QueryRequestSchema.fields.flatMap((f) => [f.name, f.jsonName]),
    ...NestedSchema.fields.map((f) => f.name),
    "__proto__",
    "constructor",
    "prototype",
    "hasOwnProperty",
    "polluted",
    ".",
    ".",
    "[",
    "]",
    "[__proto__]",
    "[k]",
    "%",
    "%5B",
    "%5D",
    "%2E",
    "%ZZ",
    "+",
    "=",
    "&",
    "",
  ];
  const values = [
    "",
    "0",
    "1",
    "-1",
    "true",
    "x",
    "NaN",
    "-inf",
    "1e400",
    "9223372036854775808",
    "COLOR_RED",
    "2",
    "AQ==",
    "-_8",
    "1.5s",
    "2024-05-01T12:00:00Z",
    "a_b,c",
    "%7B%7D",
    "%5B%5D",
    "null",
    "%",
    "%E2%82",
    "+",
    "&",
    "=",
    "__proto__",
    '{"__proto__":{"polluted":1}}',
  ];
  it("random queries never throw, and accepted JSON is accepted by fromJson", () => {
    const rand = prng(0x5eed);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
    let accepted = 0;
    for (let i = 0; i < 5000; i++) {
      const pairs: string[] = [];
      const n = 1 + Math.floor(rand() * 4);
      for (let p = 0; p < n; p++) {
        let key = "";
        const k = 1 + Math.floor(rand() * 4);
        for (let s = 0; s < k; s++) key += pick(keyParts);
        pairs.push(rand() < 0.1 ? key : `${key}=${pick(values)}`);
      }
      const query = pairs.join("&");
      const options = rand() < 0.5 ? lenient : strict;
      const json: Record<string, unknown> = {};
      const r = applyQueryParams(QueryRequestSchema, json, query, options);
      if (r.ok) {
        accepted++;
        assert.doesNotThrow(() => fromJson(QueryRequestSchema, json as never), query);
      } else {
        assert.equal(typeof r.message, "string");
      }
      assert.equal(({} as Record<string, unknown>).polluted, undefined, query);
    }
    assert.ok(accepted > 100, `only ${accepted} random queries were accepted`);
  });
});
