// Importing the plugin loads the runtime's template subpath only: no grpc-js,
// no ws, nothing the gateway needs at request time; and running the plugin
// loads no TypeScript compiler. A child process records every module it loads
// (test/support/loaded-modules.ts).
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { repoRoot } from "../support/generate-inline.js";
import {
  assertLoaded,
  modulesLoadedBy,
  modulesLoadedWhileRunning,
  packagesAmong,
} from "../support/loaded-modules.js";

const forbidden = ["@grpc/grpc-js", "ws", "express", "cockatiel", "etcd3"];

for (const specifier of ["protoc-gen-ts-gateway", "@ts-gateway/runtime/path-template"]) {
  test(`importing ${specifier} loads none of ${forbidden.join(", ")}`, async () => {
    const loaded = await modulesLoadedBy(`await import(${JSON.stringify(specifier)});`);
    assertLoaded(loaded, "/runtime/dist/path-template/index.js");
    assert.deepEqual(packagesAmong(loaded, forbidden), []);
    assert.deepEqual(
      loaded.filter((u) => /\/runtime\/dist\/(index|mux|grpc-client)\.js$/.test(u)),
      [],
      "the runtime's root entry is not loaded",
    );
  });
}

test("running the plugin loads no TypeScript compiler", async () => {
  // An empty CodeGeneratorRequest on stdin: the plugin answers with no files.
  const loaded = await modulesLoadedWhileRunning([
    join(repoRoot, "packages/protoc-gen-ts-gateway/bin/protoc-gen-ts-gateway"),
  ]);
  // protoplugin's transpile module is imported (what would load TypeScript).
  assertLoaded(loaded, "/@bufbuild/protoplugin/dist/esm/transpile.js");
  assertLoaded(loaded, "/protoc-gen-ts-gateway/dist/index.js");
  assert.deepEqual(packagesAmong(loaded, ["typescript", "@typescript/vfs"]), []);
});
