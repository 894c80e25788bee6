// The large-API proof (`npm run test:googleapis`, called by .ci/run): real
// googleapis packages from google-proto-files, built once by `buf build` into
// one descriptor set, then run through protoc-gen-ts-gateway (and
// protoc-gen-es for the messages) as protoc runs a plugin, a request on stdin:
// - the default run fails naming exactly the rules that cannot be served, all at once;
// - `on_invalid_rule=skip` generates everything else and warns about the same rules;
// - the gateway code type-checks under the repository's strict tsconfig
//   (protoc-gen-es's messages as `.js` + `.d.ts`: it is our output that is checked);
// - every OpenAPI document validates as 3.1 and has no two paths of one shape;
// - compute/v1 (2,020 messages, 988 methods) generates in under 10 s of CPU.
// `ts-gateway serve` with aiplatform/v1 and agentregistry/v1 on different
// hosts is test/gateway/hosts.test.ts (in `npm test`).
// Budget: under 4 minutes on a quiet 2-core machine; each step has its own timeout.
import assert from "node:assert/strict";
import { readdir, readFile, symlink, writeFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { after, before, describe, test } from "node:test";
import { create, fromBinary } from "@bufbuild/protobuf";
import {
  CodeGeneratorRequestSchema,
  type FileDescriptorProto,
  FileDescriptorSetSchema,
} from "@bufbuild/protobuf/wkt";
import { compileErrors, validate } from "@readme/openapi-parser";
import { protocGenTsGateway } from "../../packages/protoc-gen-ts-gateway/src/plugin.js";
import {
  googleWorkspace,
  pathShape,
  repoRoot,
  ruleLines,
  run,
  runPlugin,
  writeResponse,
} from "./support.js";

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
/** Every file of the descriptor set (the packages and their imports), with source info. */
let protoFile: FileDescriptorProto[] = [];
/** The files of the eleven packages: what `buf generate --path …` would generate. */
let targets: string[] = [];

const gatewayPlugin = join(repoRoot, "packages/protoc-gen-ts-gateway/bin/protoc-gen-ts-gateway");
/** protoc-gen-es, with protoplugin's name lookups computed once per file (see the file). */
const esPlugin = join(repoRoot, "test/googleapis/protoc-gen-es-memo.cjs");
const gatewayOptions = "target=ts,import_extension=js";

/** Logs how long a step took, so a slow CI run shows where the time went. */
function took(step: string, start: number): void {
  process.stdout.write(`# ${step}: ${((Date.now() - start) / 1000).toFixed(1)} s\n`);
}

before(async () => {
  ws = await googleWorkspace();
  await symlink(join(repoRoot, "node_modules"), join(ws.dir, "node_modules"));
  // The generated code is ES modules, as in a user's project.
  await writeFile(join(ws.dir, "package.json"), '{ "type": "module" }\n');
  const start = Date.now();
  const set = join(ws.dir, "googleapis.binpb");
  const built = await run(
    "buf",
    ["build", ".", ...packages.flatMap((p) => ["--path", p]), "-o", set],
    ws.dir,
  );
  assert.equal(built.code, 0, built.stderr);
  protoFile = fromBinary(FileDescriptorSetSchema, await readFile(set)).file;
  targets = protoFile
    .map((f) => f.name)
    .filter((name) => packages.some((p) => name.startsWith(`${p}/`)));
  took(`buf build (${protoFile.length} files, ${targets.length} to generate)`, start);
});
after(() => ws.dispose());

async function filesUnder(dir: string, suffix: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true });
  return entries.filter((e) => e.endsWith(suffix)).map((e) => join(dir, e));
}

/** The file named and every file it imports, transitively. */
function withImports(name: string): FileDescriptorProto[] {
  const byName = new Map(protoFile.map((f) => [f.name, f]));
  const seen = new Set<string>();
  const visit = (n: string): void => {
    if (seen.has(n)) return;
    seen.add(n);
    for (const d of byName.get(n)?.dependency ?? []) visit(d);
  };
  visit(name);
  return protoFile.filter((f) => seen.has(f.name));
}

describe("googleapis: 11 real packages", () => {
  test("the default run fails naming every rule that cannot be served, at once", {
    timeout: 120_000,
  }, async () => {
    const start = Date.now();
    const { code, stderr, response } = await runPlugin(
      gatewayPlugin,
      protoFile,
      targets,
      gatewayOptions,
      110_000,
    );
    took("plugin, on_invalid_rule=error", start);
    // A plugin fails as protoc expects: the error in the response, which
    // protoc (or buf) prints before it exits 1; no file is written.
    assert.equal(code, 0, stderr);
    const error = response?.error ?? "";
    assert.deepEqual(ruleLines(error), refused, error);
    assert.match(error, /7 google\.api\.http rules cannot be served; on_invalid_rule=skip/);
    assert.equal(response?.file.length, 0);
  });

  const out = () => join(ws.dir, "gen");
  let generated = false;
  test("on_invalid_rule=skip generates the rest and warns about the same rules", {
    timeout: 150_000,
  }, async () => {
    const start = Date.now();
    // protoc-gen-es writes the messages (and the google/api types the code
    // imports) as JavaScript with declarations, as buf's include_imports would.
    const [gateway, es] = await Promise.all([
      runPlugin(
        gatewayPlugin,
        protoFile,
        targets,
        `${gatewayOptions},on_invalid_rule=skip,openapi=true`,
        140_000,
      ),
      runPlugin(
        esPlugin,
        protoFile,
        protoFile.map((f) => f.name).filter((n) => !n.startsWith("google/protobuf/")),
        "target=js+dts,import_extension=js",
        140_000,
      ),
    ]);
    took("plugin (on_invalid_rule=skip, openapi=true) beside protoc-gen-es", start);
    assert.equal(gateway.code, 0, gateway.stderr);
    assert.equal(es.code, 0, es.stderr);
    assert.deepEqual(ruleLines(gateway.stderr), refused, gateway.stderr);
    for (const line of gateway.stderr.split("\n").filter((l) => l.includes(".proto:"))) {
      assert.match(line, /^protoc-gen-ts-gateway: warning: skipped google\//);
    }
    await writeResponse(out(), gateway.response!);
    await writeResponse(out(), es.response!);
    generated = true;
    // The '**'-then-literal rules are served now.
    const purge = await readFile(
      join(out(), "google/cloud/discoveryengine/v1/completion_service_gateway.ts"),
      "utf8",
    );
    assert.match(
      purge,
      /"\/v1\/\{parent=projects\/\*\/locations\/\*\/dataStores\/\*\*\}\/suggestionDenyListEntries:purge"/,
    );
    const storage = await readFile(
      join(out(), "google/cloud/bigquery/storage/v1/storage_gateway.ts"),
      "utf8",
    );
    assert.match(storage, /route\("readRows", "GET"/);
    assert.doesNotMatch(storage, /route\("splitReadStream"/);
  });

  test("the gateway code type-checks under the strict tsconfig", { timeout: 180_000 }, async () => {
    assert.ok(generated, "generation failed");
    const start = Date.now();
    const tsconfig = join(ws.dir, "tsconfig.json");
    await writeFile(
      tsconfig,
      JSON.stringify({
        extends: join(repoRoot, "tsconfig.base.json"),
        compilerOptions: { noEmit: true, declaration: false, sourceMap: false },
        include: [`${relative(ws.dir, out())}/**/*_gateway.ts`],
      }),
    );
    const tsc = await run(join(repoRoot, "node_modules/.bin/tsc"), ["-p", tsconfig], ws.dir);
    took("tsc", start);
    assert.equal(tsc.code, 0, tsc.stdout.slice(0, 4000));
    const checked = await filesUnder(out(), "_gateway.ts");
    assert.ok(checked.length >= 50, `${checked.length} gateway files`);
  });

  test("every OpenAPI document is valid 3.1, with no two paths of one shape", {
    timeout: 120_000,
  }, async () => {
    assert.ok(generated, "generation failed");
    const start = Date.now();
    const documents = await filesUnder(out(), ".openapi.json");
    assert.ok(documents.length >= 20, `${documents.length} documents`);
    for (const file of documents) {
      const doc = JSON.parse(await readFile(file, "utf8")) as { paths: Record<string, unknown> };
      const shapes = Object.keys(doc.paths).map(pathShape);
      assert.equal(new Set(shapes).size, shapes.length, `${file}: paths of one shape`);
      const result = await validate(doc as never);
      assert.ok(result.valid, `${file}: ${compileErrors(result).slice(0, 2000)}`);
    }
    took(`OpenAPI validation (${documents.length} documents)`, start);
    // iap/v1's GET {name} and PATCH {iap_settings.name} are one path item.
    const iap = JSON.parse(
      await readFile(join(out(), "google/cloud/iap/v1/service.openapi.json"), "utf8"),
    ) as { paths: Record<string, Record<string, unknown>> };
    const item = iap.paths["/v1/{name}:iapSettings"];
    assert.ok(
      item?.get !== undefined && item.patch !== undefined,
      Object.keys(iap.paths).join(" "),
    );
  });

  // CPU time, not wall time: the bound holds on a loaded machine too.
  test("compute/v1 generates (code and OpenAPI) in under 10 s of CPU", {
    timeout: 120_000,
  }, () => {
    const file = "google/cloud/compute/v1/compute.proto";
    const request = create(CodeGeneratorRequestSchema, {
      fileToGenerate: [file],
      parameter: `${gatewayOptions},openapi=true`,
      protoFile: withImports(file),
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
