// The buf/validate/validate.proto that `npm run generate` writes from
// @bufbuild/protovalidate's embedded descriptor (test/support/protovalidate-proto.ts)
// compiles, with buf, to that same descriptor: every message, field (number,
// type, label, oneof, options with the predefined CEL rules), enum, extension
// and range. Only source info and field order differ.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { clone, equals, fromBinary } from "@bufbuild/protobuf";
import {
  type DescriptorProto,
  DescriptorProtoSchema,
  type FileDescriptorProto,
  FileDescriptorProtoSchema,
  FileDescriptorSetSchema,
} from "@bufbuild/protobuf/wkt";
import { file_buf_validate_validate } from "@bufbuild/protovalidate/gen/buf/validate/validate_pb.js";
import { repoRoot, run } from "../support/generate-inline.js";

/** A descriptor without what a source print cannot keep: source info, and field order. */
function normalized(file: FileDescriptorProto): FileDescriptorProto {
  const copy = clone(FileDescriptorProtoSchema, file);
  copy.sourceCodeInfo = undefined;
  const sortFields = (m: DescriptorProto) => {
    m.field.sort((a, b) => a.number - b.number);
    m.nestedType.forEach(sortFields);
  };
  copy.messageType.forEach(sortFields);
  return copy;
}

describe("buf/validate/validate.proto regenerated from protovalidate's descriptor", {
  timeout: 60_000,
}, () => {
  it("compiles with buf to the embedded descriptor", async () => {
    const out = join(repoRoot, "test/gen/protovalidate-check.binpb");
    const result = await run(
      join(repoRoot, "node_modules/.bin/buf"),
      [
        "build",
        "--path",
        "third_party/protovalidate/buf/validate/validate.proto",
        "--exclude-source-info",
        "-o",
        out,
      ],
      repoRoot,
    );
    assert.equal(result.code, 0, result.stderr);
    const set = fromBinary(FileDescriptorSetSchema, readFileSync(out));
    const built = set.file.find((f) => f.name === "buf/validate/validate.proto");
    assert.ok(built !== undefined);
    const want = normalized(file_buf_validate_validate.proto);
    const got = normalized(built);
    for (const m of want.messageType) {
      const g = got.messageType.find((x) => x.name === m.name);
      assert.ok(g !== undefined && equals(DescriptorProtoSchema, g, m), `message ${m.name}`);
    }
    assert.ok(equals(FileDescriptorProtoSchema, got, want));
  });
});
