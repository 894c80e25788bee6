// The sample gateway.yaml of docs/standalone.md (the README links it), as written (deadlineMs: 10000), in front of
// the Python grpcio backend: a 30 s server stream ends normally (deadlineMs
// bounds unary calls only), and a SIGTERM during a stream ends it with a last
// error line, UNAVAILABLE "server shutting down", after the drain delay.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import {
  type Child,
  makeWorkdir,
  repoRoot,
  startGateway,
  stopAll,
} from "../gateway/support/processes.js";
import { skippedTools } from "../support/tools.js";
import { freePort } from "../support/wait.js";
import { startBackend, stopBackends } from "./support/backends.js";

after(async () => {
  await stopAll();
  await stopBackends();
});

const readme = readFileSync(join(repoRoot, "docs/standalone.md"), "utf8");
const section = readme.slice(readme.indexOf("<!-- section:run-gateway -->"));
const sample = /```yaml\n([\s\S]*?)```/.exec(section)?.[1]?.replace(/^ {3}/gm, "") ?? "";

/** The NDJSON lines of a stream read to its end; `onFirst` at its first line. */
async function lines(url: string, onFirst?: () => void): Promise<Record<string, unknown>[]> {
  const res = await fetch(url, { signal: AbortSignal.timeout(120_000) });
  assert.equal(res.status, 200);
  const decoder = new TextDecoder();
  let text = "";
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    const empty = text.trim() === "";
    text += decoder.decode(chunk, { stream: true });
    if (empty && text.trim() !== "") onFirst?.();
  }
  return text
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe("the README's sample config, streaming from a Python backend", {
  skip: skippedTools().has("python"),
}, () => {
  let gateway: Child;
  let base = "";

  before(async () => {
    assert.match(sample, /deadlineMs: 10000/, "the sample as the README has it");
    const work = makeWorkdir();
    execFileSync(
      join(repoRoot, "node_modules/.bin/buf"),
      ["build", "--path", "test/proto/interop/v1/interop.proto", "-o", join(work.dir, "api.binpb")],
      { cwd: repoRoot, stdio: "pipe" },
    );
    const config = work.write("gateway.yaml", sample);
    const backend = await startBackend("python");
    const port = await freePort();
    gateway = await startGateway(config, [], {
      PORT: String(port),
      LIBRARY_BACKEND: `127.0.0.1:${backend.port}`,
    });
    base = `http://127.0.0.1:${port}`;
  });

  it("a 30 s server stream ends normally", async () => {
    const started = Date.now();
    const got = await lines(`${base}/v1/count?count=31&intervalMs=1000`);
    assert.ok(Date.now() - started >= 29_000);
    assert.deepEqual(
      got.map((l) => l.result),
      Array.from({ length: 31 }, (_, i) => ({ n: i + 1 })),
    );
  });

  it("SIGTERM during a stream: a last error line, then the stream ends and the process exits 0", async () => {
    let first!: () => void;
    const firstLine = new Promise<void>((resolve) => {
      first = resolve;
    });
    const stream = lines(`${base}/v1/count?count=600&intervalMs=100`, first);
    await firstLine;
    gateway.process.kill("SIGTERM");
    const got = await stream;
    assert.ok(got.length > 1);
    assert.deepEqual(got.at(-1), {
      error: { code: 14, message: "server shutting down", details: [] },
    });
    assert.equal(await gateway.exited, 0);
  });
});
