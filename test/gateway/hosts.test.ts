/**
 * Many APIs on one gateway: Google's aiplatform/v1 and agentregistry/v1 both
 * route `GET /v1/{name=projects/*\/locations/*\/endpoints/*}` to their own
 * `GetEndpoint`. `services[].hosts` and `services[].pathPrefix` keep them
 * apart: `ts-gateway serve` (a child process, real HTTP) answers each from the
 * right grpc-js backend (loaded from the same descriptor set with
 * proto-loader); without hosts, `check` names the conflict; an invalid rule
 * (firestore's `ListDocuments`) fails `check` or, with `onInvalidRule: skip`,
 * is left out with a warning. `check`'s route table and the OpenAPI document
 * (`ts-gateway openapi`, the served `/openapi.json`) show hosts and prefixes.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { request } from "node:http";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import * as grpc from "@grpc/grpc-js";
import { loadFileDescriptorSetFromBuffer } from "@grpc/proto-loader";
import { compileErrors, validate } from "@readme/openapi-parser";
import { googleWorkspace, run } from "../googleapis/support.js";
import { freePort } from "../support/wait.js";
import { gatewayBin, makeWorkdir, repoRoot, startChild, stopAll } from "./support/processes.js";

/** `ts-gateway <args>` to completion (a descriptor set of Google APIs takes a while on a loaded machine). */
async function gatewayCli(
  args: string[],
): Promise<{ status: number; stdout: string; stderr: string }> {
  const { code, stdout, stderr } = await run(process.execPath, [gatewayBin, ...args], repoRoot);
  return { status: code, stdout, stderr };
}

const servers: grpc.Server[] = [];
after(async () => {
  await stopAll();
  for (const s of servers) s.forceShutdown();
});

type Tree = Record<string, unknown>;

const endpoint = "/v1/projects/{project}/locations/{location}/endpoints/{endpoint}";

/** The document shows each site: aiplatform's operations on its host, agentregistry's under its prefix. */
async function assertSitesDocument(doc: Tree): Promise<void> {
  const result = await validate(structuredClone(doc) as never);
  assert.ok(result.valid, compileErrors(result).slice(0, 2000));
  const paths = doc.paths as Record<string, Record<string, Tree>>;
  const servers = [
    {
      url: "{scheme}://aiplatform.example.test",
      variables: { scheme: { default: "http", enum: ["https", "http"] } },
    },
  ];
  assert.deepEqual(paths[endpoint]?.get?.servers, servers);
  assert.match(String(paths[endpoint]?.get?.operationId), /EndpointService/);
  const prefixed = paths[`/agentregistry${endpoint}`]?.get;
  assert.ok(prefixed !== undefined, Object.keys(paths).join(" "));
  assert.equal(prefixed.servers, undefined);
  assert.match(String(prefixed.operationId), /AgentRegistry/);
}

/** A grpc-js server for one service of the set, answering `GetEndpoint` with its own name. */
async function startBackend(set: Buffer, service: string, who: string): Promise<number> {
  const definition = loadFileDescriptorSetFromBuffer(set, { keepCase: false });
  const loaded = grpc.loadPackageDefinition(definition) as Tree;
  const ctor = service.split(".").reduce<Tree>((t, k) => t[k] as Tree, loaded) as unknown as {
    service: grpc.ServiceDefinition;
  };
  const server = new grpc.Server();
  servers.push(server);
  server.addService(ctor.service, {
    getEndpoint: (
      call: grpc.ServerUnaryCall<{ name: string }, unknown>,
      callback: grpc.sendUnaryData<unknown>,
      // Field names as proto-loader gives them for a descriptor set (the proto's own).
    ) => callback(null, { name: call.request.name, display_name: who }),
  });
  return new Promise((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, port) =>
      err ? reject(err) : resolve(port),
    ),
  );
}

function get(port: number, host: string, path: string): Promise<{ status: number; body: Tree }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: "127.0.0.1", port, path, headers: { host }, timeout: 30_000 },
      (res) => {
        let text = "";
        res.setEncoding("utf8").on("data", (d: string) => {
          text += d;
        });
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as Tree }),
        );
      },
    );
    req.on("timeout", () => req.destroy(new Error("timed out")));
    req.on("error", reject);
    req.end();
  });
}

describe("hosts and pathPrefix: aiplatform/v1 and agentregistry/v1 on one gateway", {
  timeout: 240_000,
}, () => {
  const work = makeWorkdir();
  const setFile = join(work.dir, "google.binpb");
  let set: Buffer;
  const ai = "google.cloud.aiplatform.v1.EndpointService";
  const ar = "google.cloud.agentregistry.v1.AgentRegistry";

  before(async () => {
    const ws = await googleWorkspace();
    try {
      const built = await run(
        "buf",
        [
          "build",
          ".",
          "--path",
          "google/cloud/aiplatform/v1/endpoint_service.proto",
          "--path",
          "google/cloud/agentregistry/v1/agentregistry_service.proto",
          "--path",
          "google/firestore/v1/firestore.proto",
          "-o",
          setFile,
        ],
        ws.dir,
      );
      assert.equal(built.code, 0, built.stderr);
    } finally {
      await ws.dispose();
    }
    set = readFileSync(setFile);
  });

  const config = (port: number, aiPort: number, arPort: number, services: string) => `server:
  listeners:
    - host: 127.0.0.1
      port: ${port}
backends:
  ai:
    target: 127.0.0.1:${aiPort}
  ar:
    target: 127.0.0.1:${arPort}
services:
${services}`;

  it("without hosts, check names the conflict", async () => {
    const file = work.write(
      "conflict.yaml",
      config(
        8080,
        1,
        2,
        `  - descriptorSet: google.binpb
    include: [${ai}]
    backend: ai
  - descriptorSet: google.binpb
    include: [${ar}]
    backend: ar
`,
      ),
    );
    const result = await gatewayCli(["check", file]);
    assert.equal(result.status, 1, result.stdout);
    assert.match(
      result.stderr,
      /AgentRegistry\.GetEndpoint \(GET [^)]*\)" conflicts with route "EndpointService\.GetEndpoint/,
    );
  });

  it("serve answers each GetEndpoint from the right backend", async () => {
    const [aiPort, arPort, port] = [
      await startBackend(set, ai, "aiplatform backend"),
      await startBackend(set, ar, "agentregistry backend"),
      await freePort(),
    ];
    const file = work.write(
      "hosts.yaml",
      config(
        port,
        aiPort,
        arPort,
        `  - descriptorSet: google.binpb
    include: [${ai}]
    backend: ai
    hosts: [aiplatform.example.test]
  - descriptorSet: google.binpb
    include: [${ar}]
    backend: ar
    hosts: [agentregistry.example.test]
  - descriptorSet: google.binpb
    include: [${ar}]
    backend: ar
    pathPrefix: /agentregistry
docs: true
`,
      ),
    );
    const check = await gatewayCli(["check", file]);
    assert.equal(check.status, 0, check.stderr);
    assert.match(check.stdout, /^HOST +METHOD +TEMPLATE/m);
    assert.match(
      check.stdout,
      /^aiplatform\.example\.test +GET +\/v1\/\{name=projects\/\*\/locations\/\*\/endpoints\/\*\} +google\.cloud\.aiplatform\.v1\.EndpointService +GetEndpoint +ai$/m,
    );
    assert.match(
      check.stdout,
      /^\* +GET +\/agentregistry\/v1\/\{name=projects\/\*\/locations\/\*\/endpoints\/\*\} +google\.cloud\.agentregistry\.v1\.AgentRegistry +GetEndpoint +ar$/m,
    );

    const gateway = startChild(process.execPath, [gatewayBin, "serve", file]);
    await gateway.waitFor(/^listening /m, 180_000);
    const path = "/v1/projects/p/locations/l/endpoints/e1";
    const cases: Array<[host: string, path: string, status: number, who?: string]> = [
      ["aiplatform.example.test", path, 200, "aiplatform backend"],
      ["AIPlatform.example.test:443", path, 200, "aiplatform backend"],
      ["agentregistry.example.test", path, 200, "agentregistry backend"],
      ["other.example.test", `/agentregistry${path}`, 200, "agentregistry backend"],
      ["other.example.test", path, 404],
      ["aiplatform.example.test", `/agentregistry${path}`, 200, "agentregistry backend"],
      ["other.example.test", `/agentregistryx${path}`, 404],
    ];
    for (const [host, p, status, who] of cases) {
      const res = await get(port, host, p);
      assert.equal(res.status, status, `${host} ${p}: ${JSON.stringify(res.body)}`);
      if (who !== undefined) {
        assert.equal(res.body.displayName, who, `${host} ${p}`);
        assert.equal(res.body.name, "projects/p/locations/l/endpoints/e1");
      }
    }
    // The served document is the one `ts-gateway openapi` prints.
    const served = await get(port, "other.example.test", "/openapi.json");
    assert.equal(served.status, 200);
    await assertSitesDocument(served.body);
    assert.equal(gateway.process.exitCode, null);
    const printed = await gatewayCli(["openapi", file]);
    assert.equal(printed.status, 0, printed.stderr);
    await assertSitesDocument(JSON.parse(printed.stdout) as Tree);
    // agentregistry's GetEndpoint on its host has the same path and method as aiplatform's.
    assert.match(
      printed.stderr,
      /warning: OpenAPI: GET \/v1\/projects\/\{project\}\/locations\/\{location\}\/endpoints\/\{endpoint\} \(hosts agentregistry\.example\.test\) is left out/,
    );
  });

  it("onInvalidRule: error names the rule; skip serves the rest with a warning", async () => {
    const services = `  - descriptorSet: google.binpb
    include: [google.firestore.v1.Firestore]
    backend: ai
`;
    const strict = await gatewayCli([
      "check",
      work.write("strict.yaml", config(8080, 1, 2, services)),
    ]);
    assert.equal(strict.status, 1, strict.stdout);
    assert.match(
      strict.stderr,
      /strict\.yaml:\d+:\d+: services\[0\]\.descriptorSet: google\/firestore\/v1\/firestore\.proto:\d+:\d+: google\.firestore\.v1\.Firestore\.ListDocuments: invalid path template/,
    );
    const skip = await gatewayCli([
      "check",
      work.write("skip.yaml", `${config(8080, 1, 2, services)}onInvalidRule: skip\n`),
    ]);
    assert.equal(skip.status, 0, skip.stderr);
    assert.match(
      skip.stderr,
      /warning: skipped .*skip\.yaml:\d+:\d+: services\[0\]\.descriptorSet: .*ListDocuments/,
    );
    assert.match(skip.stdout, /GetDocument/);
    // The binding without '**' is served; the one with it is left out.
    assert.match(skip.stdout, /\/documents\}\/\{collection_id\} +\S+ +ListDocuments/);
    assert.doesNotMatch(skip.stdout, /\*\*\}\/\{collection_id\}/);
  });
});
