// Express is an optional peer: generated code and the runtime must load, and a
// node:http mux serve, in a process where `express` cannot be resolved. The
// child process proves the blocking works (importing express fails there) and
// that only create<S>Router, which needs Express, fails with the clear error.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const child = fileURLToPath(new URL("./without-express-child.ts", import.meta.url));
const block = fileURLToPath(new URL("../support/block-express.mjs", import.meta.url));

test("generated code and a node:http mux work without Express installed", async () => {
  const stdout = await new Promise<string>((resolve, reject) => {
    execFile(
      process.execPath,
      ["--import", "tsx", "--import", block, child],
      { timeout: 60_000 },
      (err, out, errOut) => (err ? reject(new Error(`${err.message}\n${errOut}`)) : resolve(out)),
    );
  });
  const report = JSON.parse(stdout.trim().split("\n").at(-1) ?? "{}");
  assert.deepEqual(report, {
    importExpress: "ERR_MODULE_NOT_FOUND",
    requireExpress: "MODULE_NOT_FOUND",
    status: 200,
    body: { text: "hi" },
    createRouter: "MODULE_NOT_FOUND",
  });
});
