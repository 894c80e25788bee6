// The core's metadata (core/metadata.ts) against grpc-js's Metadata, which it
// stands in for where the core makes metadata itself: the same operations give
// the same entries and fail on the same input; and the grpc-js side
// (grpc/metadata.ts) passes grpc-js metadata through and copies any other.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as grpc from "@grpc/grpc-js";
import {
  type CallMetadata,
  type CallMetadataValue,
  copyMetadata,
  createMetadata,
  isCallMetadata,
  mergeMetadata,
} from "../../packages/runtime/src/core/metadata.js";
import { toGrpcMetadata, toGrpcMetadataCopy } from "../../packages/runtime/src/grpc/metadata.js";

type Op = readonly ["set" | "add", string, CallMetadataValue] | readonly ["remove", string];

/** Entries with Buffers as plain byte arrays, so both kinds compare equal. */
function plain(md: CallMetadata): Record<string, Array<string | number[]>> {
  const out: Record<string, Array<string | number[]>> = {};
  const entries = md.toJSON();
  for (const key of Object.keys(entries).sort()) {
    out[key] = (entries[key] ?? []).map((v) => (typeof v === "string" ? v : [...v]));
  }
  return out;
}

function apply(md: CallMetadata, ops: readonly Op[]): string | undefined {
  try {
    for (const op of ops) {
      if (op[0] === "remove") md.remove(op[1]);
      else md[op[0]](op[1], op[2]);
    }
    return undefined;
  } catch {
    return "throws";
  }
}

const bytes = Buffer.from([1, 2, 3]);
const cases: Array<{ name: string; ops: readonly Op[] }> = [
  {
    name: "set then add keeps both, in order",
    ops: [
      ["set", "x-a", "1"],
      ["add", "x-a", "2"],
    ],
  },
  {
    name: "set replaces",
    ops: [
      ["add", "x-a", "1"],
      ["add", "x-a", "2"],
      ["set", "x-a", "3"],
    ],
  },
  {
    name: "keys are case-insensitive",
    ops: [
      ["set", "X-Trace", "a"],
      ["add", "x-TRACE", "b"],
    ],
  },
  {
    name: "remove drops every value",
    ops: [
      ["add", "x-a", "1"],
      ["add", "x-b", "2"],
      ["remove", "X-A"],
    ],
  },
  { name: "bytes under -bin", ops: [["set", "x-id-bin", bytes]] },
  { name: "an illegal key", ops: [["set", "x a", "1"]] },
  { name: "a non-ASCII value", ops: [["set", "x-a", "é"]] },
  { name: "a control character", ops: [["set", "x-a", "a\nb"]] },
  { name: "text under -bin", ops: [["set", "x-id-bin", "abc"]] },
  { name: "bytes under a text key", ops: [["set", "x-a", bytes]] },
  { name: "pseudo-header-like key", ops: [["set", ":authority", "h"]] },
  { name: "empty value", ops: [["set", "x-a", ""]] },
];

describe("core metadata", () => {
  for (const { name, ops } of cases) {
    it(`behaves like grpc-js Metadata: ${name}`, () => {
      const core = createMetadata();
      const js = new grpc.Metadata();
      assert.equal(apply(core, ops), apply(js, ops));
      assert.deepEqual(plain(core), plain(js));
      assert.deepEqual(Object.keys(core.getMap()), Object.keys(js.getMap()));
      for (const key of Object.keys(js.toJSON())) {
        assert.deepEqual(plain(core)[key], plain(js)[key]);
      }
    });
  }

  it("accepts any Uint8Array under -bin, not only a Buffer", () => {
    const md = createMetadata();
    md.set("x-id-bin", new Uint8Array([9]));
    assert.deepEqual([...(md.get("x-id-bin")[0] as Uint8Array)], [9]);
  });

  it("clone and getMap copy byte values", () => {
    const md = createMetadata();
    const value = Buffer.from([1]);
    md.set("x-id-bin", value);
    const copy = md.clone();
    const first = md.getMap()["x-id-bin"] as Uint8Array;
    value[0] = 2;
    assert.deepEqual([...(copy.get("x-id-bin")[0] as Uint8Array)], [1]);
    assert.deepEqual([...first], [1]);
    assert.ok(Buffer.isBuffer(copy.get("x-id-bin")[0]), "a Buffer stays a Buffer");
    copy.set("x-a", "1");
    assert.deepEqual(md.get("x-a"), []);
  });

  it("merge appends from either kind", () => {
    const js = new grpc.Metadata();
    js.add("x-a", "1");
    js.add("x-a", "2");
    const md = createMetadata();
    md.set("x-a", "0");
    md.merge(js);
    assert.deepEqual(md.get("x-a"), ["0", "1", "2"]);
    const target = new grpc.Metadata();
    mergeMetadata(target, md);
    assert.deepEqual(target.get("x-a"), ["0", "1", "2"]);
  });

  it("grpc-js Metadata is CallMetadata, by type and by shape", () => {
    const md: CallMetadata = new grpc.Metadata();
    assert.ok(isCallMetadata(md));
    assert.ok(isCallMetadata(createMetadata()));
    assert.ok(!isCallMetadata({ get() {} }));
    assert.ok(!isCallMetadata(null));
  });

  it("copyMetadata clones metadata and copies a toJSON shape, skipping bad entries", () => {
    const js = new grpc.Metadata();
    js.set("x-a", "1");
    const cloned = copyMetadata(js);
    assert.ok(cloned instanceof grpc.Metadata && cloned !== js);
    const copied = copyMetadata({ "x-a": ["1", "2"], "bad key": ["x"], "x-b": "3" });
    assert.deepEqual(plain(copied), { "x-a": ["1", "2"], "x-b": ["3"] });
    assert.deepEqual(plain(copyMetadata(undefined)), {});
  });
});

describe("grpc-js metadata conversion", () => {
  it("passes a grpc-js Metadata through without a copy", () => {
    const js = new grpc.Metadata();
    assert.equal(toGrpcMetadata(js), js);
    assert.ok(toGrpcMetadata(undefined) instanceof grpc.Metadata);
  });

  it("copies core metadata, bytes as Buffers grpc-js accepts", () => {
    const md = createMetadata();
    md.add("x-a", "1");
    md.add("x-a", "2");
    md.set("x-id-bin", new Uint8Array([7, 8]));
    const js = toGrpcMetadata(md);
    assert.ok(js instanceof grpc.Metadata);
    assert.deepEqual(js.get("x-a"), ["1", "2"]);
    const value = js.get("x-id-bin")[0];
    assert.ok(Buffer.isBuffer(value));
    assert.deepEqual([...value], [7, 8]);
  });

  it("a copy is always a new object, and skips what grpc-js rejects", () => {
    const js = new grpc.Metadata();
    js.set("x-a", "1");
    const copy = toGrpcMetadataCopy(js);
    assert.notEqual(copy, js);
    assert.deepEqual(copy.get("x-a"), ["1"]);
    const fromShape = toGrpcMetadataCopy({ toJSON: () => ({ "x-a": ["1"], "bad key": ["2"] }) });
    assert.deepEqual(fromShape.toJSON(), { "x-a": ["1"] });
  });
});
