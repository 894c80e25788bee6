import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { create, fromJson } from "@bufbuild/protobuf";
import { TimestampSchema } from "@bufbuild/protobuf/wkt";
import { applyPathParams, type PathParam } from "../../packages/runtime/src/core/path-params.js";
import { applyQueryParams } from "../../packages/runtime/src/core/query-params.js";
import {
  Color,
  NestedSchema,
  type QueryRequest,
  QueryRequestSchema,
} from "../gen/conformance/v1/query_pb.js";
import { prng } from "../support/prng.js";

/** Applies path variables over a body (as JSON.parse would give it). */
function run(params: PathParam[], body = "{}") {
  const json = JSON.parse(body) as Record<string, unknown>;
  const result = applyPathParams(QueryRequestSchema, json, params);
  const message = result.ok ? fromJson(QueryRequestSchema, json as never) : undefined;
  return { result, json, message };
}

describe("applyPathParams: values end to end through fromJson", () => {
  const cases: { name: string; params: PathParam[]; body?: string; want: Partial<QueryRequest> }[] =
    [
      {
        name: "string",
        params: [["name", "shelves/1/books/2"]],
        want: { name: "shelves/1/books/2" },
      },
      { name: "json name", params: [["pageSize", "7"]], want: { pageSize: 7 } },
      {
        name: "int64 exact",
        params: [["big", "9007199254740993"]],
        want: { big: 9007199254740993n },
      },
      {
        name: "uint64 max",
        params: [["u64", "18446744073709551615"]],
        want: { u64: 18446744073709551615n },
      },
      { name: "bool", params: [["flag", "true"]], want: { flag: true } },
      {
        name: "bytes url-safe",
        params: [["data", "-_8"]],
        want: { data: new Uint8Array([0xfb, 0xff]) },
      },
      { name: "enum by name", params: [["color", "COLOR_GREEN"]], want: { color: Color.GREEN } },
      { name: "enum by number", params: [["color", "1"]], want: { color: Color.RED } },
      {
        name: "repeated, comma separated",
        params: [["ids", "1,2,9007199254740993"]],
        want: { ids: [1n, 2n, 9007199254740993n] },
      },
      { name: "repeated strings", params: [["tags", "a,b"]], want: { tags: ["a", "b"] } },
      {
        name: "timestamp",
        params: [["create_time", "1970-01-01T00:00:01.5Z"]],
        want: { createTime: create(TimestampSchema, { seconds: 1n, nanos: 500000000 }) },
      },
      {
        name: "wrapper",
        params: [["wrapped_int64", "-9223372036854775808"]],
        want: { wrappedInt64: -9223372036854775808n },
      },
      {
        name: "nested, creating parents",
        params: [["nested.child.name", "deep"]],
        want: { nested: create(NestedSchema, { child: { name: "deep" } }) },
      },
      {
        name: "two variables in one parent",
        params: [
          ["nested.name", "a"],
          ["nested.display_name", "b"],
        ],
        want: { nested: create(NestedSchema, { name: "a", displayName: "b" }) },
      },
      {
        name: "path wins over the body",
        params: [["name", "path"]],
        body: '{"name":"body"}',
        want: { name: "path" },
      },
      {
        name: "path wins over the body's proto-name alias",
        params: [["pageSize", "3"]],
        body: '{"page_size":1}',
        want: { pageSize: 3 },
      },
      {
        name: "path wins over the body's JSON-name alias",
        params: [["nested.display_name", "p"]],
        body: '{"nested":{"displayName":"b","count":4}}',
        want: { nested: create(NestedSchema, { displayName: "p", count: 4 }) },
      },
      {
        name: "merges into the body's parent under its proto name",
        params: [["choiceNested.name", "p"]],
        body: '{"choice_nested":{"count":2}}',
        want: {
          choice: { case: "choiceNested", value: create(NestedSchema, { name: "p", count: 2 }) },
        },
      },
      {
        name: "replaces a null parent from the body",
        params: [["nested.name", "p"]],
        body: '{"nested":null}',
        want: { nested: create(NestedSchema, { name: "p" }) },
      },
      {
        name: "replaces a non-object parent from the body",
        params: [["nested.name", "p"]],
        body: '{"nested":"junk"}',
        want: { nested: create(NestedSchema, { name: "p" }) },
      },
      {
        name: "same oneof member as the body",
        params: [["choice_id", "5"]],
        body: '{"choiceId":1}',
        want: { choice: { case: "choiceId", value: 5 } },
      },
      {
        name: "a null oneof scalar in the body does not conflict",
        params: [["choice_id", "5"]],
        body: '{"choiceName":null}',
        want: { choice: { case: "choiceId", value: 5 } },
      },
      {
        name: "a field named like an Object.prototype member",
        params: [["nested.constructor", "c"]],
        want: { nested: create(NestedSchema, { constructor$: "c" }) },
      },
      {
        name: "a value that looks dangerous is just a string",
        params: [["name", "__proto__"]],
        want: { name: "__proto__" },
      },
    ];
  for (const c of cases) {
    it(c.name, () => {
      const { result, message } = run(c.params, c.body);
      assert.deepEqual(result, { ok: true, value: undefined });
      assert.ok(message);
      for (const [key, want] of Object.entries(c.want)) {
        assert.deepEqual(message[key as keyof QueryRequest], want, key);
      }
    });
  }
});

describe("applyPathParams: errors", () => {
  const cases: { name: string; params: PathParam[]; body?: string; error: string | RegExp }[] = [
    {
      name: "not an integer",
      params: [["page_size", "abc"]],
      error: 'invalid value "abc" for path variable "page_size": not an integer',
    },
    {
      name: "out of range",
      params: [["big", "9223372036854775808"]],
      error: /"big": out of range for int64/,
    },
    {
      name: "one bad list element",
      params: [["ids", "1,x,3"]],
      error: 'invalid value "x" for path variable "ids": not an integer',
    },
    {
      name: "bad enum",
      params: [["color", "BLUE"]],
      error: /not a value of enum conformance.v1.Color/,
    },
    { name: "bad timestamp", params: [["create_time", "now"]], error: /not an RFC 3339 timestamp/ },
    {
      name: "other oneof member in the body",
      params: [["choice_id", "1"]],
      body: '{"choiceName":"b"}',
      error:
        /path variable "choice_id": fields "choice_name" and "choice_id" are both members of oneof "choice"/,
    },
    {
      name: "other oneof member in the body, through a parent",
      params: [["choice_nested.name", "x"]],
      body: '{"choice_name":"b"}',
      error: /oneof "choice"/,
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const { result } = run(c.params, c.body);
      assert.equal(result.ok, false);
      if (result.ok) return;
      if (typeof c.error === "string") assert.equal(result.message, c.error);
      else assert.match(result.message, c.error);
    });
  }
});

describe("applyPathParams: route configuration errors throw", () => {
  const cases: { path: string; error: RegExp }[] = [
    { path: "nope", error: /no field "nope" in conformance.v1.QueryRequest/ },
    { path: "name.x", error: /field "name" is not a message/ },
    { path: "nested..name", error: /empty segment/ },
    { path: "labels", error: /it is a map/ },
    { path: "nested", error: /conformance.v1.Nested has no string form/ },
    { path: "nested_list.name", error: /is repeated/ },
    { path: "__proto__", error: /no field "__proto__"/ },
  ];
  for (const c of cases) {
    it(c.path, () => {
      assert.throws(() => applyPathParams(QueryRequestSchema, {}, [[c.path, "x"]]), c.error);
    });
  }
});

describe("applyPathParams then applyQueryParams", () => {
  it("the query fills fields next to path-bound ones; oneof conflicts are caught", () => {
    const json = JSON.parse('{"nested":{"count":1}}') as Record<string, unknown>;
    assert.ok(
      applyPathParams(QueryRequestSchema, json, [
        ["nested.name", "p"],
        ["choice_id", "2"],
      ]).ok,
    );
    const options = { exclude: new Set(["nested.name", "choice_id"]), rejectUnknown: true };
    assert.ok(
      applyQueryParams(QueryRequestSchema, json, "nested.name=q&nested.displayName=d", options).ok,
    );
    const m = fromJson(QueryRequestSchema, json as never);
    assert.deepEqual(m.nested, create(NestedSchema, { name: "p", count: 1, displayName: "d" }));
    const r = applyQueryParams(QueryRequestSchema, json, "choice_name=x", options);
    assert.equal(r.ok, false);
  });
});

describe("applyPathParams: fuzz", () => {
  const bindable = [
    "name",
    "page_size",
    "big",
    "u32",
    "u64",
    "ratio",
    "score",
    "flag",
    "data",
    "color",
    "ids",
    "tags",
    "colors",
    "blobs",
    "create_time",
    "ttl",
    "update_mask",
    "meta",
    "dyn",
    "wrapped_bytes",
    "nested.name",
    "nested.child.count",
    "choice_id",
    "choice_nested.name",
    "customJson",
  ];
  const pieces = [
    "",
    "0",
    "1",
    "-",
    "+",
    ".",
    ",",
    "e",
    "5",
    "9",
    "a",
    "A",
    "_",
    "=",
    "s",
    "Z",
    "T",
    ":",
    "{",
    "}",
    "[",
    "]",
    '"',
    "null",
    "NaN",
    "__proto__",
    "constructor",
    "COLOR_RED",
    "2024-05-01T12:00:00Z",
  ];
  const bodies = [
    "{}",
    '{"name":"b","nested":{"count":1}}',
    '{"choiceName":"x"}',
    '{"__proto__":{"polluted":1}}',
  ];
  it("random values never throw, and accepted JSON is accepted by fromJson", () => {
    const rand = prng(42);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
    let accepted = 0;
    for (let i = 0; i < 5000; i++) {
      const params: PathParam[] = [];
      const n = 1 + Math.floor(rand() * 3);
      for (let p = 0; p < n; p++) {
        let value = "";
        const k = Math.floor(rand() * 5);
        for (let s = 0; s < k; s++) value += pick(pieces);
        params.push([pick(bindable), value]);
      }
      const json = JSON.parse(pick(bodies)) as Record<string, unknown>;
      const r = applyPathParams(QueryRequestSchema, json, params);
      if (r.ok) {
        accepted++;
        assert.doesNotThrow(
          () => fromJson(QueryRequestSchema, json as never, { ignoreUnknownFields: true }),
          JSON.stringify(params),
        );
      }
      assert.equal(({} as Record<string, unknown>).polluted, undefined);
    }
    assert.ok(accepted > 100, `only ${accepted} were accepted`);
  });
});
