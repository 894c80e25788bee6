// The mux options of issue 26 through `ts-gateway serve` (a child process):
// the `mux` section for every route, and `services[].mux` overriding it for
// one service entry (the same descriptor set served again under /strict), in
// front of the grpc-js CounterService backend. Bad option values are refused
// by `check` with the key named; the gateway answers bad input under each
// option with a google.rpc.Status and is still alive afterwards.
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { big, startCounterBackend } from "../mux/counter-fixture.js";
import { type GrpcTestServer, request, type TestResponse } from "../support/servers.js";
import { freePort } from "../support/wait.js";
import {
  bufBuild,
  type Child,
  makeWorkdir,
  runGateway,
  startGateway,
  stopAll,
} from "./support/processes.js";

interface Row {
  readonly name: string;
  readonly method?: string;
  readonly path: string;
  readonly body?: unknown;
  readonly status: number;
  readonly check?: (res: TestResponse) => void;
}

const rows: Row[] = [
  {
    name: "mux.indent: 2 pretty-prints",
    path: "/v1/counters/a",
    status: 200,
    check: (res) => assert.match(res.text, /^\{\n {2}"name": "a",\n/),
  },
  {
    name: "mux.int64AsNumber: 64-bit fields are numbers, every digit kept",
    path: "/v1/counters/a",
    status: 200,
    check: (res) => assert.match(res.text, new RegExp(`"total": ${big},`)),
  },
  {
    name: "mux.ignoredQueryParameters: api_key passes rejectUnknownQueryParameters",
    path: "/v1/counters/a?api_key=s3cret",
    status: 200,
  },
  {
    name: "mux.rejectUnknownQueryParameters: another unknown parameter is 400",
    path: "/v1/counters/a?apikey=s3cret",
    status: 400,
  },
  {
    name: "mux.caseInsensitiveEnumParsing: an enum name in any case",
    path: "/v1/counters/a?color=color_dark_BLUE",
    status: 200,
    check: (res) => assert.equal((res.json as { color: string }).color, "COLOR_DARK_BLUE"),
  },
  {
    name: "services[].mux.removeEnumPrefix: enum names without their prefix",
    path: "/strict/v1/counters/a?color=DARK_BLUE",
    status: 200,
    check: (res) => assert.equal((res.json as { color: string }).color, "DARK_BLUE"),
  },
  {
    name: "services[].mux.captureUnknownQueryParameters: unknown parameters in the map field",
    path: "/strict/v1/counters/a?utm_source=mail",
    status: 200,
    check: (res) => assert.equal((res.json as { note: string }).note, '{"utm_source":"mail"}'),
  },
  {
    name: "default framing: NDJSON lines",
    path: "/v1/counters?count=2",
    status: 200,
    check: (res) => assert.equal(res.text.trim().split("\n").length, 2),
  },
  {
    name: "default: a body field the path binds loses to the path",
    method: "PUT",
    path: "/v1/counters/a",
    body: { name: "b" },
    status: 200,
  },
  {
    name: "services[].mux.rejectBindingBodyFieldCollisions: 400 INVALID_ARGUMENT",
    method: "PUT",
    path: "/strict/v1/counters/a",
    body: { name: "b" },
    status: 400,
    check: (res) => assert.equal((res.json as { code: number }).code, 3),
  },
  {
    name: "services[].mux.streamFraming: json-array",
    path: "/strict/v1/counters?count=2",
    status: 200,
    check: (res) => assert.equal((res.json as unknown[]).length, 2),
  },
  {
    name: "services[].mux.indent: 0 overrides mux.indent",
    path: "/strict/v1/counters/a",
    status: 200,
    check: (res) => assert.ok(!res.text.includes("\n")),
  },
  {
    name: "services[].mux.maxResponseBytes: over the cap is 502 RESOURCE_EXHAUSTED",
    path: "/strict/v1/counters/a?noteBytes=5000",
    status: 502,
    check: (res) => assert.equal((res.json as { code: number }).code, 8),
  },
  {
    name: "services[].mux.maxResponseBytes: a stream over the cap ends with its error element",
    path: "/strict/v1/counters?count=3&noteBytes=300",
    status: 200,
    check: (res) => {
      const list = res.json as Array<{ error?: { code: number } }>;
      assert.equal(list.at(-1)?.error?.code, 8);
    },
  },
];

describe("ts-gateway serve with the mux options of issue 26", { timeout: 120_000 }, () => {
  let backend: GrpcTestServer;
  let gateway: Child;
  let url = "";
  const work = makeWorkdir();

  before(async () => {
    backend = await startCounterBackend();
    bufBuild("test/proto/muxoptions/v1/mux_options.proto", join(work.dir, "api.binpb"));
    const port = await freePort();
    const config = work.write(
      "gateway.yaml",
      `server:
  listeners: [{ host: 127.0.0.1, port: ${port} }]
shutdown: { drainDelayMs: 0, gracePeriodMs: 1000 }
mux:
  indent: 2
  int64AsNumber: true
  rejectUnknownQueryParameters: true
  ignoredQueryParameters: [api_key]
  caseInsensitiveEnumParsing: true
backends:
  counters:
    target: ["${backend.address}"]
services:
  - descriptorSet: api.binpb
    backend: counters
  - descriptorSet: api.binpb
    backend: counters
    pathPrefix: /strict
    mux:
      indent: 0
      rejectBindingBodyFieldCollisions: true
      streamFraming: json-array
      maxResponseBytes: 600
      removeEnumPrefix: true
      captureUnknownQueryParameters: extra
`,
    );
    gateway = await startGateway(config);
    url = `http://127.0.0.1:${port}`;
  });

  after(async () => {
    await stopAll();
    await backend.close();
  });

  for (const row of rows) {
    it(row.name, async () => {
      const res = await request(`${url}${row.path}`, {
        method: row.method ?? "GET",
        ...(row.body === undefined ? {} : { json: row.body }),
        signal: AbortSignal.timeout(10_000),
      });
      assert.equal(res.status, row.status, res.text.slice(0, 400));
      row.check?.(res);
    });
  }

  // Adversarial: bad input under the options answers a google.rpc.Status within its bound.
  const deep = (levels: number) =>
    `${'{"name":"x","color":"color_red","parent":'.repeat(levels)}{"name":"y"}${"}".repeat(levels)}`;
  const attacks: Array<{
    name: string;
    method: string;
    path: string;
    body?: string;
    status: number[];
  }> = [
    {
      name: "a body 5,000 levels deep under caseInsensitiveEnumParsing",
      method: "PUT",
      path: "/v1/counters/a",
      body: deep(5_000),
      status: [200, 400],
    },
    {
      name: "a body 100,000 levels deep under caseInsensitiveEnumParsing",
      method: "PUT",
      path: "/v1/counters/a",
      body: deep(100_000),
      status: [400, 413],
    },
    {
      name: "1,500 unknown parameters captured, echoed past maxResponseBytes",
      method: "GET",
      path: `/strict/v1/counters/a?${Array.from({ length: 1_500 }, (_, i) => `k${i}=v`).join("&")}`,
      status: [502],
    },
    {
      name: "a colliding body nested under the bound field",
      method: "PUT",
      path: "/strict/v1/counters/a",
      body: '{"name":{"deep":[1,2,3]}}',
      status: [400],
    },
  ];
  for (const a of attacks) {
    it(`adversarial: ${a.name} answers ${a.status.join(" or ")} within 10 s`, async () => {
      const res = await request(`${url}${a.path}`, {
        method: a.method,
        headers: { "content-type": "application/json" },
        ...(a.body === undefined ? {} : { body: a.body }),
        signal: AbortSignal.timeout(10_000),
      });
      assert.ok(a.status.includes(res.status), `${res.status}: ${res.text.slice(0, 300)}`);
      if (res.status >= 400 && res.text !== "") {
        assert.equal(typeof (res.json as { code: unknown }).code, "number", res.text.slice(0, 300));
      }
    });
  }

  it("the gateway is still alive after every row", async () => {
    const res = await request(`${url}/v1/counters/alive`, { signal: AbortSignal.timeout(10_000) });
    assert.equal(res.status, 200);
    assert.equal(gateway.process.exitCode, null);
  });

  it("check refuses bad option values in one round, naming each key", () => {
    const bad = work.write(
      "bad.yaml",
      `server:
  listeners: [{ port: 1 }]
mux:
  indent: 1000000
  maxResponseBytes: -1
  streamFraming: xml
backends:
  counters: { target: "127.0.0.1:1" }
services:
  - descriptorSet: api.binpb
    backend: counters
    mux: { indent: 11 }
  - descriptorSet: api.binpb
    backend: counters
    mux: { validate: true }
`,
    );
    const { status, stderr } = runGateway(["check", bad]);
    assert.equal(status, 1);
    for (const line of [
      /bad\.yaml:4:\d+: mux\.indent: Too big/,
      /bad\.yaml:5:\d+: mux\.maxResponseBytes: Too small/,
      /bad\.yaml:6:\d+: mux\.streamFraming: Invalid option/,
      /bad\.yaml:12:\d+: services\[0\]\.mux\.indent: Too big/,
      /bad\.yaml:15:\d+: services\[1\]\.mux\.validate: unknown key "validate"/,
    ]) {
      assert.match(stderr, line);
    }
  });
});
