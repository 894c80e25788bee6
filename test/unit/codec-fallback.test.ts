// The compiled codecs fall back to protobuf-es by themselves where code
// generation from strings is disallowed: the gateway answers the same, in a
// child process run with and without --disallow-code-generation-from-strings.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const child = fileURLToPath(new URL("../support/codec-child.ts", import.meta.url));

async function run(flags: readonly string[]): Promise<{ codec: string; answers: unknown[] }> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [...flags, "--import", "tsx", child],
    { timeout: 30_000 },
  );
  return JSON.parse(stdout);
}

test("compiledCodec is protobuf-es under --disallow-code-generation-from-strings, with the same answers", {
  timeout: 60_000,
}, async () => {
  const cases = [
    { flags: [], codec: "compiled" },
    { flags: ["--disallow-code-generation-from-strings"], codec: "protobuf-es" },
  ];
  const results = await Promise.all(cases.map((c) => run(c.flags)));
  for (const [i, c] of cases.entries()) assert.equal(results[i]?.codec, c.codec, c.flags.join(" "));
  const [compiled, fallback] = results;
  assert.deepEqual(
    compiled?.answers.map((a) => (a as { status: number }).status),
    [201, 201, 200, 400],
  );
  assert.deepEqual(fallback?.answers, compiled?.answers);
});
