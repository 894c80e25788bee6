// `ts-gateway serve` validates dynamic messages: the validation table through
// the standalone gateway (a child process) serving RulesService from a
// descriptor set built by buf (with buf/validate/validate.proto among its
// imports), in front of a grpc-js backend that counts its calls; gateway.yaml
// turns validation on (`mux.validate`) and off for one method (per route).
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { create } from "@bufbuild/protobuf";
import { addRulesService } from "../gen/validation/v1/validation_gateway.js";
import { ItemSchema, UploadSummarySchema } from "../gen/validation/v1/validation_pb.js";
import { type GrpcTestServer, request, startGrpcServer } from "../support/servers.js";
import { freePort } from "../support/wait.js";
import {
  sorted,
  validationCases,
  validItem,
  violationsOf,
} from "../validation/validation-cases.js";
import { bufBuild, type Child, makeWorkdir, startGateway, stopAll } from "./support/processes.js";

describe("ts-gateway serve with mux.validate", { timeout: 120_000 }, () => {
  let backend: GrpcTestServer;
  let calls = 0;
  let gateway: Child;
  let url = "";

  before(async () => {
    backend = await startGrpcServer((server) =>
      addRulesService(server, {
        async createItem(req) {
          calls++;
          return req.item ?? create(ItemSchema);
        },
        async getItem() {
          calls++;
          return create(ItemSchema, validItem);
        },
        async uploadItems(requests) {
          let count = 0;
          for await (const _ of requests) count++;
          calls++;
          return create(UploadSummarySchema, { count });
        },
        async *syncItems(requests) {
          calls++;
          yield* requests;
        },
      }),
    );
    const work = makeWorkdir();
    bufBuild("test/proto/validation/v1/validation.proto", join(work.dir, "api.binpb"));
    const port = await freePort();
    const config = work.write(
      "gateway.yaml",
      `server:
  listeners: [{ host: 127.0.0.1, port: ${port} }]
shutdown: { drainDelayMs: 0, gracePeriodMs: 1000 }
mux:
  validate:
    routes:
      - match: { selector: validation.v1.RulesService.UploadItems }
        options: false
backends:
  rules:
    target: ["${backend.address}"]
services:
  - descriptorSet: api.binpb
    backend: rules
`,
    );
    gateway = await startGateway(config);
    url = `http://127.0.0.1:${port}`;
  });

  after(async () => {
    await stopAll();
    await backend.close();
  });

  for (const c of validationCases) {
    it(`${c.name}: ${c.want === "ok" ? "reaches the backend" : "400"}`, async () => {
      const before = calls;
      const res = await request(`${url}${c.path}`, {
        method: c.method,
        ...(c.body === undefined ? {} : { json: c.body }),
      });
      if (c.want === "ok") {
        assert.equal(res.status, 200, res.text);
        assert.equal(calls, before + 1);
        if (c.itemBody === true) assert.deepEqual(res.json, c.body);
        return;
      }
      assert.equal(res.status, 400, res.text);
      assert.deepEqual(violationsOf(res.json), sorted(c.want));
      assert.equal(calls, before, "the backend was not called");
    });
  }

  // Adversarial: each answer comes within its bound, and the gateway lives on.
  /** A Tree `levels` deep as JSON text (built flat: JSON.stringify recurses). */
  const deep = (levels: number, label: string) => ({
    raw: `${'{"label":"x","child":'.repeat(levels)}{"label":${JSON.stringify(label)}}${"}".repeat(levels)}`,
  });
  const attacks: Array<{ name: string; patch: Record<string, unknown>; status: number }> = [
    {
      name: "a pathological pattern input",
      patch: { letters: `${"a".repeat(20_000)}b` },
      status: 400,
    },
    { name: "a matching 20,000-letter input", patch: { letters: "a".repeat(20_000) }, status: 200 },
    {
      name: "10,000 distinct elements of a unique list",
      patch: { codes: Array.from({ length: 10_000 }, (_, i) => `c${i}`) },
      status: 200,
    },
    {
      name: "10,000 equal elements of a unique list",
      patch: { codes: Array.from({ length: 10_000 }, () => "same") },
      status: 400,
    },
    {
      name: "a tree 60 levels deep, bad at the bottom",
      patch: { tree: deep(60, "x".repeat(11)) },
      status: 400,
    },
    { name: "a tree 5,000 levels deep", patch: { tree: deep(5_000, "x") }, status: 400 },
  ];
  for (const a of attacks) {
    it(`adversarial: ${a.name} answers ${a.status} within 10 s`, async () => {
      const { tree, ...rest } = a.patch as { tree?: { raw: string } };
      const body = JSON.stringify({ ...validItem, ...rest });
      const res = await request(`${url}/v1/shelves/main/items`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: tree === undefined ? body : `${body.slice(0, -1)},"tree":${tree.raw}}`,
        signal: AbortSignal.timeout(10_000),
      });
      assert.equal(res.status, a.status, res.text.slice(0, 300));
      assert.equal(gateway.process.exitCode, null, "the gateway is alive");
    });
  }

  it("a route rule turns validation off: an invalid upload reaches the backend", async () => {
    const res = await request(`${url}/v1/items:upload`, {
      method: "POST",
      json: { ...validItem, title: "" },
    });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.json, { count: 1 });
    assert.equal(gateway.process.exitCode, null, "the gateway is alive");
  });
});
