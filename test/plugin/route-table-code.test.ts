// The generated route table reads like code a person would write: one
// `route(rpc, method, template, { body })` line per binding, templates compiled
// once when the module loads, no serialized pattern JSON and no comment
// restating the fields. Real buf generation of an inline proto; the generated
// module is loaded and its routes compared with compiling the templates.
import assert from "node:assert/strict";
import { readFile, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { compilePathTemplate } from "@ts-gateway/runtime/path-template";
import { generateInline, type InlineGeneration, repoRoot } from "../support/generate-inline.js";

const proto = `syntax = "proto3";
package tables.v1;
import "google/api/annotations.proto";
service Shelves {
  rpc GetShelf(GetShelfRequest) returns (Shelf) {
    option (google.api.http) = {
      get: "/v1/{name=shelves/*}"
      additional_bindings {get: "/v1/{name=shelves/*}/title" response_body: "title"}
    };
  }
  rpc CreateShelf(CreateShelfRequest) returns (Shelf) {
    option (google.api.http) = {post: "/v1/shelves" body: "shelf"};
  }
}
message GetShelfRequest { string name = 1; }
message CreateShelfRequest { Shelf shelf = 1; }
message Shelf { string name = 1; string title = 2; }
`;

let gen: InlineGeneration;
before(async () => {
  gen = await generateInline({ "tables/v1/shelves.proto": proto }, []);
});
after(() => gen.cleanup());

const lines = [
  '    route("getShelf", "GET", "/v1/{name=shelves/*}"),',
  '    route("getShelf", "GET", "/v1/{name=shelves/*}/title", { responseBody: "title" }),',
  '    route("createShelf", "POST", "/v1/shelves", { body: "shelf" }),',
];

test("one line per route, no pattern JSON", async () => {
  assert.equal(gen.code, 0, gen.stderr);
  const ts = await readFile(join(gen.outDir, "tables/v1/shelves_gateway.ts"), "utf8");
  const table = ts.slice(ts.indexOf("routes: ["), ts.indexOf("],", ts.indexOf("routes: [")));
  assert.deepEqual(table.split("\n").slice(1, -1), lines);
  assert.doesNotMatch(ts, /"segments"|"variables"|pattern:/);
});

test("the routes compile their templates when the module loads", async () => {
  await symlink(join(repoRoot, "node_modules"), join(gen.outDir, "node_modules"));
  await writeFile(join(gen.outDir, "package.json"), '{"type":"module"}');
  const mod = await import(join(gen.outDir, "tables/v1/shelves_gateway.ts"));
  const routes = mod.shelvesRoutes.routes as Array<Record<string, unknown>>;
  assert.deepEqual(
    routes.map((r) => [r.rpc, r.method, r.path, r.body, r.responseBody]),
    [
      ["getShelf", "GET", "/v1/{name=shelves/*}", undefined, undefined],
      ["getShelf", "GET", "/v1/{name=shelves/*}/title", undefined, "title"],
      ["createShelf", "POST", "/v1/shelves", "shelf", undefined],
    ],
  );
  for (const r of routes) assert.deepEqual(r.pattern, compilePathTemplate(r.path as string));
});
