// Importing the plugin loads the runtime's template subpath only: no grpc-js,
// no ws, nothing the gateway needs at request time; and running the plugin
// loads no TypeScript compiler. A child process records every module URL the
// ESM loader resolves (a `module.register` resolve hook).
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { pathToFileURL } from "node:url";
import { repoRoot, run } from "../support/generate-inline.js";

const hook = `import { appendFileSync } from "node:fs";
let out;
export function initialize(data) { out = data.out; }
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  appendFileSync(out, result.url + "\\n");
  return result;
}
`;

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), "ts-gateway-imports-"));
  await writeFile(join(dir, "hook.mjs"), hook);
  await writeFile(
    join(dir, "register.mjs"),
    `import { register } from "node:module";\nregister(${JSON.stringify(pathToFileURL(join(dir, "hook.mjs")).href)}, { data: { out: process.env.RESOLVED_OUT } });\n`,
  );
});
after(() => rm(dir, { recursive: true, force: true }));

/** The module URLs resolved while importing `specifier` from the repository root. */
function resolvedBy(specifier: string): Promise<string[]> {
  return resolvedWhileRunning(specifier.replace(/\W/g, "_"), [
    "--input-type=module",
    "-e",
    `await import(${JSON.stringify(specifier)});`,
  ]);
}

/** The module URLs resolved while node runs `args` (stdin empty) in the repository root. */
async function resolvedWhileRunning(name: string, args: readonly string[]): Promise<string[]> {
  const out = join(dir, `${name}.txt`);
  process.env.RESOLVED_OUT = out;
  try {
    const result = await run(
      process.execPath,
      ["--import", pathToFileURL(join(dir, "register.mjs")).href, ...args],
      repoRoot,
    );
    assert.equal(result.code, 0, result.stderr);
  } finally {
    delete process.env.RESOLVED_OUT;
  }
  return (await readFile(out, "utf8")).trim().split("\n");
}

const forbidden = ["@grpc/grpc-js", "ws", "express", "cockatiel", "etcd3"];

for (const specifier of ["protoc-gen-ts-gateway", "@ts-gateway/runtime/path-template"]) {
  test(`importing ${specifier} loads none of ${forbidden.join(", ")}`, async () => {
    const urls = await resolvedBy(specifier);
    assert.ok(
      urls.some((u) => u.endsWith("/runtime/dist/path-template.js")),
      `the template subpath is loaded (the hook works): ${urls.join(" ")}`,
    );
    for (const name of forbidden) {
      const loaded = urls.filter((u) => u.includes(`/node_modules/${name}/`));
      assert.deepEqual(loaded, [], `${name} is loaded`);
    }
    assert.deepEqual(
      urls.filter((u) => /\/runtime\/dist\/(index|mux|grpc-client)\.js$/.test(u)),
      [],
      "the runtime's root entry is not loaded",
    );
  });
}

test("running the plugin loads no TypeScript compiler", async () => {
  // An empty CodeGeneratorRequest on stdin: the plugin answers with no files.
  const urls = await resolvedWhileRunning("bin", [
    join(repoRoot, "packages/protoc-gen-ts-gateway/bin/protoc-gen-ts-gateway"),
  ]);
  assert.ok(
    urls.some((u) => u.endsWith("/@bufbuild/protoplugin/dist/esm/transpile.js")),
    "protoplugin's transpile module is imported (what would load TypeScript)",
  );
  assert.ok(urls.some((u) => u.endsWith("/protoc-gen-ts-gateway/dist/index.js")));
  const typescript = urls.filter((u) => /\/node_modules\/(typescript|@typescript\/vfs)\//.test(u));
  assert.deepEqual(typescript, []);
});
