// The large-API proof (`npm run test:googleapis`, called by .ci/run): real
// googleapis packages from google-proto-files through real `buf generate`
// (protoc-gen-es and protoc-gen-ts-gateway, strategy: all), then
// - the default run fails naming exactly the rules that cannot be served, all at once;
// - `on_invalid_rule=skip` generates everything else and warns about the same rules;
// - the output type-checks under the repository's strict tsconfig;
// - every OpenAPI document validates as 3.1 and has no two paths of one shape;
// - compute/v1 (2,020 messages, 988 methods) generates in under 10 s of CPU.
// Budget: about 3 minutes on a quiet machine.
import assert from "node:assert/strict";
import { readdir, readFile, symlink, writeFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { after, before, describe, test } from "node:test";
import { create, fromBinary } from "@bufbuild/protobuf";
import { CodeGeneratorRequestSchema, FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import { compileErrors, validate } from "@readme/openapi-parser";
import { protocGenTsGateway } from "../../packages/protoc-gen-ts-gateway/src/plugin.js";
import { googleWorkspace, pathShape, repoRoot, ruleLines, run } from "./support.js";

/** The packages the issue names; firestore/v1 is outside google/cloud. */
const packages = [
  "google/cloud/secretmanager/v1",
  "google/cloud/kms/v1",
  "google/cloud/kms/inventory/v1",
  "google/cloud/discoveryengine/v1",
  "google/cloud/managedkafka/schemaregistry/v1",
  "google/cloud/bigquery/storage/v1",
  "google/firestore/v1",
  "google/cloud/compute/v1",
  "google/cloud/aiplatform/v1",
  "google/cloud/agentregistry/v1",
  "google/cloud/iap/v1",
];

/** Every rule of those packages that cannot be served, as the plugin names it. */
const refused = [
  'google/cloud/bigquery/storage/v1/storage.proto:106:3: google.cloud.bigquery.storage.v1.BigQueryRead.SplitReadStream: route "BigQueryRead.SplitReadStream" conflicts with route "BigQueryRead.ReadRows": both match GET /v1/{name=projects/*/locations/*/sessions/*/streams/*}',
  'google/cloud/bigquery/storage/v1/storage.proto:133:3: google.cloud.bigquery.storage.v1.BigQueryWrite.CreateWriteStream: route "BigQueryWrite.CreateWriteStream" conflicts with route "BigQueryRead.CreateReadSession": both match POST /v1/{parent=projects/*/datasets/*/tables/*}',
  'google/cloud/bigquery/storage/v1/storage.proto:181:3: google.cloud.bigquery.storage.v1.BigQueryWrite.GetWriteStream: route "BigQueryWrite.GetWriteStream" conflicts with route "BigQueryWrite.AppendRows": both match POST /v1/{name=projects/*/datasets/*/tables/*/streams/*}',
  'google/cloud/bigquery/storage/v1/storage.proto:191:3: google.cloud.bigquery.storage.v1.BigQueryWrite.FinalizeWriteStream: route "BigQueryWrite.FinalizeWriteStream" conflicts with route "BigQueryWrite.AppendRows": both match POST /v1/{name=projects/*/datasets/*/tables/*/streams/*}',
  'google/cloud/bigquery/storage/v1/storage.proto:222:3: google.cloud.bigquery.storage.v1.BigQueryWrite.FlushRows: route "BigQueryWrite.FlushRows" conflicts with route "BigQueryWrite.AppendRows": both match POST /v1/{write_stream=projects/*/datasets/*/tables/*/streams/*}',
  `google/firestore/v1/firestore.proto:254:3: google.firestore.v1.Firestore.CreateDocument: invalid path template "/v1/{parent=projects/*/databases/*/documents/**}/{collection_id}": '**' may be followed only by literal segments, not by the variable 'collection_id' (its extent would be ambiguous) (at offset 49)`,
  `google/firestore/v1/firestore.proto:68:3: google.firestore.v1.Firestore.ListDocuments: invalid path template "/v1/{parent=projects/*/databases/*/documents/*/**}/{collection_id}": '**' may be followed only by literal segments, not by the variable 'collection_id' (its extent would be ambiguous) (at offset 51)`,
].sort();

let ws: { dir: string; dispose: () => Promise<void> };

before(async () => {
  ws = await googleWorkspace();
  await symlink(join(repoRoot, "node_modules"), join(ws.dir, "node_modules"));
  // The generated code is ES modules, as in a user's project.
  await writeFile(join(ws.dir, "package.json"), '{ "type": "module" }\n');
});
after(() => ws.dispose());

function template(out: string, gatewayOptions: string[], withEs: boolean): string {
  const plugin = join(repoRoot, "packages/protoc-gen-ts-gateway/bin/protoc-gen-ts-gateway");
  const es = `
  - local: ${join(repoRoot, "node_modules/.bin/protoc-gen-es")}
    out: ${out}
    strategy: all
    include_imports: true
    opt: [target=ts, import_extension=js]`;
  return `version: v2
plugins:${withEs ? es : ""}
  - local: ${plugin}
    out: ${out}
    strategy: all
    opt: [${["target=ts", "import_extension=js", ...gatewayOptions].join(", ")}]
`;
}

async function generate(name: string, gatewayOptions: string[], withEs: boolean) {
  const out = join(ws.dir, name);
  const file = join(ws.dir, `${name}.gen.yaml`);
  await writeFile(file, template(out, gatewayOptions, withEs));
  const paths = packages.flatMap((p) => ["--path", p]);
  const result = await run("buf", ["generate", ".", "--template", file, ...paths], ws.dir);
  return { ...result, out };
}

async function filesUnder(dir: string, suffix: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true });
  return entries.filter((e) => e.endsWith(suffix)).map((e) => join(dir, e));
}

describe("googleapis: 11 real packages", { timeout: 1_800_000 }, () => {
  test("the default run fails naming every rule that cannot be served, at once", async () => {
    const { code, stderr } = await generate("strict", [], false);
    assert.notEqual(code, 0, stderr);
    assert.deepEqual(ruleLines(stderr), refused, stderr);
    assert.match(stderr, /7 google\.api\.http rules cannot be served; on_invalid_rule=skip/);
  });

  let out = "";
  test("on_invalid_rule=skip generates the rest and warns about the same rules", async () => {
    const result = await generate("skip", ["on_invalid_rule=skip", "openapi=true"], true);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(ruleLines(result.stderr), refused, result.stderr);
    for (const line of result.stderr.split("\n").filter((l) => l.includes(".proto:"))) {
      assert.match(line, /^protoc-gen-ts-gateway: warning: skipped google\//);
    }
    out = result.out;
    // The '**'-then-literal rules are served now.
    const purge = await readFile(
      join(out, "google/cloud/discoveryengine/v1/completion_service_gateway.ts"),
      "utf8",
    );
    assert.match(
      purge,
      /"\/v1\/\{parent=projects\/\*\/locations\/\*\/dataStores\/\*\*\}\/suggestionDenyListEntries:purge"/,
    );
    const storage = await readFile(
      join(out, "google/cloud/bigquery/storage/v1/storage_gateway.ts"),
      "utf8",
    );
    assert.match(storage, /route\("readRows", "GET"/);
    assert.doesNotMatch(storage, /route\("splitReadStream"/);
  });

  test("the output type-checks under the strict tsconfig", async () => {
    assert.ok(out !== "", "generation failed");
    const tsconfig = join(ws.dir, "tsconfig.json");
    await writeFile(
      tsconfig,
      JSON.stringify({
        extends: join(repoRoot, "tsconfig.base.json"),
        compilerOptions: { noEmit: true, declaration: false, sourceMap: false },
        include: [`${relative(ws.dir, out)}/**/*.ts`],
      }),
    );
    const tsc = await run(join(repoRoot, "node_modules/.bin/tsc"), ["-p", tsconfig], ws.dir);
    assert.equal(tsc.code, 0, tsc.stdout.slice(0, 4000));
  });

  test("every OpenAPI document is valid 3.1, with no two paths of one shape", async () => {
    assert.ok(out !== "", "generation failed");
    const documents = await filesUnder(out, ".openapi.json");
    assert.ok(documents.length >= 20, `${documents.length} documents`);
    for (const file of documents) {
      const doc = JSON.parse(await readFile(file, "utf8")) as { paths: Record<string, unknown> };
      const shapes = Object.keys(doc.paths).map(pathShape);
      assert.equal(new Set(shapes).size, shapes.length, `${file}: paths of one shape`);
      const result = await validate(doc as never);
      assert.ok(result.valid, `${file}: ${compileErrors(result).slice(0, 2000)}`);
    }
    // iap/v1's GET {name} and PATCH {iap_settings.name} are one path item.
    const iap = JSON.parse(
      await readFile(join(out, "google/cloud/iap/v1/service.openapi.json"), "utf8"),
    ) as { paths: Record<string, Record<string, unknown>> };
    const item = iap.paths["/v1/{name}:iapSettings"];
    assert.ok(
      item?.get !== undefined && item.patch !== undefined,
      Object.keys(iap.paths).join(" "),
    );
  });

  test("compute/v1 generates (code and OpenAPI) in under 10 s of CPU", async () => {
    const set = join(ws.dir, "compute.binpb");
    const built = await run(
      "buf",
      ["build", ".", "--path", "google/cloud/compute/v1/compute.proto", "-o", set],
      ws.dir,
    );
    assert.equal(built.code, 0, built.stderr);
    const request = create(CodeGeneratorRequestSchema, {
      fileToGenerate: ["google/cloud/compute/v1/compute.proto"],
      parameter: "target=ts,import_extension=js,openapi=true",
      protoFile: fromBinary(FileDescriptorSetSchema, await readFile(set)).file,
    });
    const start = process.cpuUsage();
    const response = protocGenTsGateway.run(request);
    const cpu = process.cpuUsage(start);
    const seconds = (cpu.user + cpu.system) / 1e6;
    assert.equal(response.error ?? "", "");
    assert.equal(response.file.length, 2);
    const routes = response.file[0]!.content.split("\n").filter((l) =>
      l.startsWith("    route("),
    ).length;
    assert.ok(routes > 700, `${routes} routes`);
    process.stdout.write(`# compute/v1: ${routes} routes, ${seconds.toFixed(1)} s CPU\n`);
    assert.ok(seconds < 10, `compute/v1 took ${seconds.toFixed(1)} s of CPU`);
  });
});
