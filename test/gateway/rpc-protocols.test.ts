/**
 * `ts-gateway serve` with `mux.protocols`: a descriptor-set service (dynamic
 * messages, no generated code) before a plain grpc-js backend is served over
 * Connect and gRPC-Web on an HTTP/1.1 listener and over gRPC on an h2c one,
 * beside its REST routes; `ts-gateway check` lists the RPC endpoints.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { createFileRegistry, fromBinary } from "@bufbuild/protobuf";
import { FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, createClient, type Transport } from "@connectrpc/connect";
import {
  createConnectTransport,
  createGrpcTransport,
  createGrpcWebTransport,
} from "@connectrpc/connect-node";
import { freePort } from "../support/wait.js";
import {
  buildDescriptorSet,
  type Child,
  makeWorkdir,
  runGateway,
  startGateway,
  startPlainBackend,
  stopAll,
} from "./support/processes.js";

after(stopAll);

describe("ts-gateway serve: Connect, gRPC-Web and gRPC for a descriptor-set service", {
  timeout: 120_000,
}, () => {
  const work = makeWorkdir();
  let gateway: Child;
  let h1 = "";
  let h2c = "";
  let config = "";
  const descriptorSet = join(work.dir, "api.binpb");

  before(async () => {
    buildDescriptorSet(descriptorSet);
    const backend = await startPlainBackend("plain");
    const port = await freePort();
    const h2cPort = await freePort();
    config = work.write(
      "gateway.yaml",
      `server:
  listeners:
    - { host: 127.0.0.1, port: ${port} }
    - { host: 127.0.0.1, port: ${h2cPort}, protocol: h2c }
shutdown: { drainDelayMs: 0, gracePeriodMs: 2000 }
mux:
  protocols: [rest, connect, grpc-web, grpc]
backends:
  inventory:
    target: ["127.0.0.1:${backend.port}"]
services:
  - descriptorSet: api.binpb
    backend: inventory
`,
    );
    gateway = await startGateway(config);
    h1 = `http://127.0.0.1:${port}`;
    h2c = `http://127.0.0.1:${h2cPort}`;
  });

  it("check lists the RPC endpoints after the REST routes", () => {
    const { status, stdout, stderr } = runGateway(["check", config]);
    assert.equal(status, 0, stderr);
    assert.match(
      stdout,
      /GET\s+\/v1\/items\/\{id\}\s+gateway\.v1\.InventoryService\s+GetItem\s+inventory/,
    );
    assert.match(
      stdout,
      /POST\s+\/gateway\.v1\.InventoryService\/GetItem\s+gateway\.v1\.InventoryService\s+GetItem\s+inventory/,
    );
    assert.match(stdout, /POST\s+\/gateway\.v1\.InventoryService\/WatchItems/);
  });

  it("every protocol calls the backend with dynamic messages, errors code for code", async () => {
    const registry = createFileRegistry(
      fromBinary(FileDescriptorSetSchema, readFileSync(descriptorSet)),
    );
    const service = registry.getService("gateway.v1.InventoryService");
    assert.ok(service);
    const transports: Array<[string, Transport]> = [
      ["connect", createConnectTransport({ baseUrl: h1, httpVersion: "1.1" })],
      [
        "connect binary",
        createConnectTransport({ baseUrl: h1, httpVersion: "1.1", useBinaryFormat: true }),
      ],
      ["grpc-web", createGrpcWebTransport({ baseUrl: h1, httpVersion: "1.1" })],
      ["grpc (h2c)", createGrpcTransport({ baseUrl: h2c })],
    ];
    for (const [name, transport] of transports) {
      const client = createClient(service, transport) as unknown as {
        getItem(request: { id: string }): Promise<{ id: string; name: string }>;
      };
      const item = await client.getItem({ id: "42" });
      assert.equal(item.id, "42", name);
      assert.equal(item.name, "item 42", name);
      const err = await client.getItem({ id: "missing" }).then(
        () => assert.fail(`${name}: no error`),
        (e: unknown) => ConnectError.from(e),
      );
      assert.equal(err.code, Code.NotFound, name);
      assert.equal(err.rawMessage, "no item missing", name);
    }
    assert.equal(gateway.process.exitCode, null);
  });
});
