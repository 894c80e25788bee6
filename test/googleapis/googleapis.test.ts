// The quick part of the large-API proof (the whole is `npm run test:googleapis`):
// three real googleapis packages built by buf, run through the plugin in
// process. Every refused rule is named in one run; `on_invalid_rule=skip`
// warns and generates the rest; the '**'-then-literal route of kms/inventory
// is served; iap/v1's two paths that differ only in parameter names are one
// OpenAPI path item.
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { create, fromBinary } from "@bufbuild/protobuf";
import {
  type CodeGeneratorRequest,
  CodeGeneratorRequestSchema,
  FileDescriptorSetSchema,
} from "@bufbuild/protobuf/wkt";
import { createProtocGenTsGateway } from "../../packages/protoc-gen-ts-gateway/src/plugin.js";
import { googleWorkspace, pathShape, ruleLines, run } from "./support.js";

const files = [
  "google/cloud/iap/v1/service.proto",
  "google/cloud/kms/inventory/v1/key_tracking_service.proto",
  "google/firestore/v1/firestore.proto",
];

const refused = [
  `google/firestore/v1/firestore.proto:254:3: google.firestore.v1.Firestore.CreateDocument: invalid path template "/v1/{parent=projects/*/databases/*/documents/**}/{collection_id}": '**' may be followed only by literal segments, not by the variable 'collection_id' (its extent would be ambiguous) (at offset 49)`,
  `google/firestore/v1/firestore.proto:68:3: google.firestore.v1.Firestore.ListDocuments: invalid path template "/v1/{parent=projects/*/databases/*/documents/*/**}/{collection_id}": '**' may be followed only by literal segments, not by the variable 'collection_id' (its extent would be ambiguous) (at offset 51)`,
];

let request: (parameter: string) => CodeGeneratorRequest;

before(async () => {
  const ws = await googleWorkspace();
  try {
    const out = join(ws.dir, "set.binpb");
    const built = await run(
      "buf",
      ["build", ".", ...files.flatMap((f) => ["--path", f]), "-o", out],
      ws.dir,
    );
    assert.equal(built.code, 0, built.stderr);
    const protoFile = fromBinary(FileDescriptorSetSchema, await readFile(out)).file;
    request = (parameter) =>
      create(CodeGeneratorRequestSchema, { fileToGenerate: files, parameter, protoFile });
  } finally {
    await ws.dispose();
  }
});

describe("googleapis: iap, kms/inventory, firestore (v1)", { timeout: 180_000 }, () => {
  const warnings: string[] = [];
  const plugin = createProtocGenTsGateway((line) => warnings.push(line));
  after(() => {
    warnings.length = 0;
  });

  test("the default run fails naming every refused rule", () => {
    const response = plugin.run(request("target=ts,openapi=true"));
    assert.deepEqual(ruleLines(response.error ?? ""), refused);
    assert.equal(response.file.length, 0);
    assert.deepEqual(warnings, []);
  });

  test("on_invalid_rule=skip warns and generates the rest", () => {
    const response = plugin.run(request("target=ts,openapi=true,on_invalid_rule=skip"));
    assert.equal(response.error ?? "", "");
    assert.deepEqual(
      warnings.sort(),
      refused.map((r) => `protoc-gen-ts-gateway: warning: skipped ${r}`),
    );
    const byName = new Map(response.file.map((f) => [f.name, f.content]));
    const firestore = byName.get("google/firestore/v1/firestore_gateway.ts") ?? "";
    // The other ListDocuments binding is still served.
    assert.match(
      firestore,
      /route\("listDocuments", "GET", "\/v1\/\{parent=projects\/\*\/databases\/\*\/documents\}\/\{collection_id\}"\)/,
    );
    assert.doesNotMatch(firestore, /\*\*\}\/\{collection_id\}/);
    const kms = byName.get("google/cloud/kms/inventory/v1/key_tracking_service_gateway.ts") ?? "";
    assert.match(
      kms,
      /"\/v1\/\{name=projects\/\*\/locations\/\*\/keyRings\/\*\/cryptoKeys\/\*\*\}\/protectedResourcesSummary"/,
    );

    const iap = JSON.parse(byName.get("google/cloud/iap/v1/service.openapi.json") ?? "{}") as {
      paths: Record<
        string,
        Record<string, { parameters?: Array<{ name: string; in: string; description?: string }> }>
      >;
    };
    const shapes = Object.keys(iap.paths).map(pathShape);
    assert.equal(new Set(shapes).size, shapes.length, Object.keys(iap.paths).join(" "));
    const item = iap.paths["/v1/{name}:iapSettings"];
    assert.ok(
      item?.get !== undefined && item.patch !== undefined,
      Object.keys(iap.paths).join(" "),
    );
    const renamed = item.patch.parameters?.find((p) => p.in === "path");
    assert.equal(renamed?.name, "name");
    assert.match(renamed?.description ?? "", /Fills `iap_settings\.name`/);
  });
});
