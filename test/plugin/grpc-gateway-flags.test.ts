// protoc-gen-grpc-gateway's flags as plugin options (issue 26):
// allow_delete_body, repeated_path_param_separator and warn_on_unbound_methods.
// Real buf generation of an inline proto; the generated module is loaded and
// served through a real mux in front of a real grpc-js server (loopback, the
// generated client), over real HTTP. Without the flags, the same proto is
// refused (a DELETE body) or generates silently.
import assert from "node:assert/strict";
import { readFile, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { credentials, type Server } from "@grpc/grpc-js";
import { Mux } from "@ts-gateway/runtime";
import { generateInline, type InlineGeneration, repoRoot } from "../support/generate-inline.js";
import {
  type GrpcTestServer,
  type HttpTestServer,
  request,
  startGrpcServer,
  startHttpServer,
} from "../support/servers.js";

const proto = `syntax = "proto3";
package flags.v1;
import "google/api/annotations.proto";
service Flags {
  rpc Remove(RemoveRequest) returns (RemoveRequest) {
    option (google.api.http) = {delete: "/v1/things/{ids}" body: "*"};
  }
  rpc Lookup(LookupRequest) returns (LookupRequest) {
    option (google.api.http) = {get: "/v1/lookup/{codes}"};
  }
  rpc Hidden(LookupRequest) returns (LookupRequest);
}
message RemoveRequest { repeated string ids = 1; string reason = 2; }
message LookupRequest { repeated int32 codes = 1; }
`;

const files = { "flags/v1/flags.proto": proto };

describe("protoc-gen-grpc-gateway's flags", { timeout: 120_000 }, () => {
  let gen: InlineGeneration;
  let backend: GrpcTestServer;
  let http: HttpTestServer;
  let close: () => void = () => {};

  before(async () => {
    gen = await generateInline(files, [
      "allow_delete_body=true",
      "repeated_path_param_separator=pipes",
      "warn_on_unbound_methods=true",
    ]);
    assert.equal(gen.code, 0, gen.stderr);
    await symlink(join(repoRoot, "node_modules"), join(gen.outDir, "node_modules"));
    await writeFile(join(gen.outDir, "package.json"), '{"type":"module"}');
    const mod = await import(join(gen.outDir, "flags/v1/flags_gateway.ts"));
    const echo = async (req: unknown) => req;
    backend = await startGrpcServer((server: Server) =>
      mod.addFlags(server, { remove: echo, lookup: echo, hidden: echo }),
    );
    const client = new mod.FlagsClient(backend.address, credentials.createInsecure());
    close = () => client.transport.close();
    const mux = new Mux({ notFound: "404" });
    mod.registerFlags(mux, client);
    http = await startHttpServer(mux.handler);
  });

  after(async () => {
    close();
    await http?.close();
    await backend?.close();
    await gen?.cleanup();
  });

  it("warn_on_unbound_methods: one warning per method without a rule", () => {
    assert.match(
      gen.stderr,
      /protoc-gen-ts-gateway: warning: flags\.v1\.Flags\.Hidden has no google\.api\.http rule; it is not served over HTTP/,
    );
    assert.doesNotMatch(gen.stderr, /Flags\.(Remove|Lookup) has no/);
  });

  it("repeated_path_param_separator=pipes: the route carries the separator", async () => {
    const ts = await readFile(join(gen.outDir, "flags/v1/flags_gateway.ts"), "utf8");
    assert.match(
      ts,
      /route\("lookup", "GET", "\/v1\/lookup\/\{codes\}", \{ pathParamSeparator: "\|" \}\)/,
    );
  });

  const rows: Array<{
    name: string;
    method: string;
    path: string;
    body?: unknown;
    status: number;
    json?: unknown;
  }> = [
    {
      name: "allow_delete_body=true: a DELETE body reaches the backend",
      method: "DELETE",
      path: "/v1/things/a",
      body: { reason: "old" },
      status: 200,
      json: { ids: ["a"], reason: "old" },
    },
    {
      name: "repeated_path_param_separator=pipes: a|b|c is three ids",
      method: "DELETE",
      path: "/v1/things/a%7Cb%7Cc",
      body: {},
      status: 200,
      json: { ids: ["a", "b", "c"] },
    },
    {
      name: "repeated_path_param_separator=pipes: a comma stays in the value",
      method: "DELETE",
      path: "/v1/things/a,b",
      body: {},
      status: 200,
      json: { ids: ["a,b"] },
    },
    {
      name: "repeated_path_param_separator=pipes: repeated int32 parsed per item",
      method: "GET",
      path: "/v1/lookup/1%7C2%7C3",
      status: 200,
      json: { codes: [1, 2, 3] },
    },
    {
      name: "repeated_path_param_separator=pipes: a bad item is 400 naming it",
      method: "GET",
      path: "/v1/lookup/1%7Cx",
      status: 400,
    },
  ];
  for (const row of rows) {
    it(row.name, async () => {
      const res = await request(`${http.url}${row.path}`, {
        method: row.method,
        ...(row.body === undefined ? {} : { json: row.body }),
        signal: AbortSignal.timeout(10_000),
      });
      assert.equal(res.status, row.status, res.text);
      if (row.json !== undefined) assert.deepEqual(res.json, row.json);
      if (row.status === 400) assert.match(res.text, /invalid value \\"x\\" for path variable/);
    });
  }

  it("without allow_delete_body: a DELETE body is refused, the flag named", async () => {
    const plain = await generateInline(files, [], { gatewayOnly: true });
    try {
      assert.notEqual(plain.code, 0);
      assert.match(
        plain.stderr,
        /flags\.v1\.Flags\.Remove: a DELETE route cannot have a body \(body: "\*"\) \(the plugin option allow_delete_body=true allows it\)/,
      );
      assert.doesNotMatch(plain.stderr, /has no google\.api\.http rule/);
    } finally {
      await plain.cleanup();
    }
  });

  it("a bad separator name is refused", async () => {
    const bad = await generateInline(files, ["repeated_path_param_separator=semicolon"], {
      gatewayOnly: true,
    });
    try {
      assert.notEqual(bad.code, 0);
      assert.match(
        bad.stderr,
        /repeated_path_param_separator takes csv, pipes, ssv or tsv, not "semicolon"/,
      );
    } finally {
      await bad.cleanup();
    }
  });
});
