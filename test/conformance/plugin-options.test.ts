// Plugin options end to end: generate_unbound_methods and
// grpc_api_configuration (a google.api.Service YAML merged with annotations).
// test/buf.gen.unbound.yaml generates test/gen/unbound; this test runs it.
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { pathToFileURL } from "node:url";
import { generateInline, repoRoot, run } from "../support/generate-inline.js";
import { check, type Gateway, type Row, startGateway } from "./gateway-fixture.js";

const rows: Row[] = [
  {
    name: "unannotated method: POST /<package>.<Service>/<Method> with body *",
    method: "POST",
    path: "/conformance.v1.Unbound/Ping",
    json: { name: "n", count: 2 },
    rpc: "ping",
    request: { name: "n", count: 2 },
    status: 200,
    response: { name: "n", count: 2 },
  },
  {
    name: "unbound route: the query is not read",
    method: "POST",
    path: "/conformance.v1.Unbound/Ping?count=3",
    json: { name: "n" },
    rpc: "ping",
    request: { name: "n" },
    status: 200,
  },
  {
    name: "unbound route: only POST",
    method: "GET",
    path: "/conformance.v1.Unbound/Ping",
    status: 405,
    responseHeaders: { allow: "POST" },
  },
  {
    name: "rule from the YAML for an unannotated method",
    method: "GET",
    path: "/v1/configured/x?count=4",
    rpc: "configured",
    request: { name: "x", count: 4 },
    status: 200,
  },
  {
    name: "additional_bindings from the YAML",
    method: "POST",
    path: "/v1/configured",
    json: { name: "y" },
    rpc: "configured",
    request: { name: "y" },
    status: 200,
  },
  {
    name: "a configured method is not also served unbound",
    method: "POST",
    path: "/conformance.v1.Unbound/Configured",
    status: 404,
  },
  {
    name: "the YAML rule replaces the annotation",
    method: "POST",
    path: "/v1/overridden/z",
    json: { count: 1 },
    rpc: "overridden",
    request: { name: "z", count: 1 },
    status: 200,
  },
  {
    name: "the replaced annotation is gone",
    method: "GET",
    path: "/v1/annotated/z",
    status: 404,
  },
  {
    name: "annotations the YAML does not mention stay",
    method: "GET",
    path: "/v1/kept/k",
    rpc: "annotated",
    request: { name: "k" },
    status: 200,
  },
];

describe("generate_unbound_methods and grpc_api_configuration", () => {
  let gateway: Gateway;
  before(async () => {
    const generated = await run(
      join(repoRoot, "node_modules/.bin/buf"),
      ["generate", "--template", "test/buf.gen.unbound.yaml"],
      repoRoot,
    );
    assert.equal(generated.code, 0, generated.stderr);
    const dir = join(repoRoot, "test/gen/unbound/conformance/v1");
    const gen = await import(pathToFileURL(join(dir, "unbound_gateway.ts")).href);
    const pb = await import(pathToFileURL(join(dir, "unbound_pb.ts")).href);
    gateway = await startGateway([
      {
        service: pb.Unbound,
        add: gen.addUnbound,
        Client: gen.UnboundClient,
        register: gen.registerUnbound,
      },
    ]);
    for (const rpc of ["ping", "configured", "overridden", "annotated"]) {
      gateway.responders.set(rpc, (_, req) => req);
    }
  });
  after(() => gateway?.close());
  for (const row of rows) test(row.name, () => check(gateway, row));
});

describe("grpc_api_configuration errors", { concurrency: 2 }, () => {
  const proto = `syntax = "proto3";
package cfg.v1;
message Req { string name = 1; }
service Svc {
  rpc Get(Req) returns (Req);
}
`;
  const cases: Array<{ name: string; yaml: string; error: RegExp }> = [
    {
      name: "YAML that does not parse",
      yaml: "http: [rules: {",
      error: /grpc_api_configuration .*api\.yaml: /,
    },
    {
      name: "a rule without a selector",
      yaml: "http:\n  rules:\n    - get: /v1/x\n",
      error: /http\.rules\[0\] has no selector/,
    },
    {
      name: "a rule with an unknown key",
      yaml: "http:\n  rules:\n    - selector: cfg.v1.Svc.Get\n      gett: /v1/x\n",
      error: /http\.rules\[0\]/,
    },
    {
      name: "a configured rule is validated like an annotation",
      yaml: "http:\n  rules:\n    - selector: cfg.v1.Svc.Get\n      get: /v1/{missing}\n",
      error: /cfg\/v1\/svc\.proto:5:3: cfg\.v1\.Svc\.Get: path variable "missing"/,
    },
  ];
  for (const c of cases) {
    test(c.name, async () => {
      const dir = await mkdtemp(join(tmpdir(), "ts-gateway-cfg-"));
      const yaml = join(dir, "api.yaml");
      await writeFile(yaml, c.yaml);
      const result = await generateInline(
        { "cfg/v1/svc.proto": proto },
        [`grpc_api_configuration=${yaml}`],
        { gatewayOnly: true },
      );
      try {
        assert.notEqual(result.code, 0);
        assert.match(result.stderr, c.error);
        assert.doesNotMatch(result.stderr, /^\s+at /m);
      } finally {
        await result.cleanup();
        await rm(dir, { recursive: true, force: true });
      }
    });
  }
});
