/**
 * What `ts-gateway serve` gives back once a generation is built, measured in
 * child processes (support/descriptor-memory-child.ts) so the heap holds
 * nothing of the runner's:
 * - compactDescriptors, on Google's aiplatform/v1 (145 files), leaves every
 *   descriptor and descriptor proto as it was and the heap smaller, with the
 *   custom options kept (mux.validate) and dropped;
 * - a reload's old generation is collected once its grace period is over,
 *   not held until V8 happens to run a full collection;
 * - collectGarbage shrinks the young generation a build grew, once the
 *   process has been idle for the 5 s V8 judges the allocation rate by.
 * Serving through compacted descriptors is hosts.test.ts (aiplatform's
 * GetEndpoint through `ts-gateway serve`) and validation-serve.test.ts.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import { googleWorkspace, run } from "../googleapis/support.js";
import { tempDir } from "../support/temp-dirs.js";
import { repoRoot } from "./support/processes.js";

const child = join(repoRoot, "test/gateway/support/descriptor-memory-child.ts");

async function measure(args: string[]): Promise<Record<string, number | boolean>> {
  const { code, stdout, stderr } = await run(
    process.execPath,
    ["--import", "tsx", child, ...args],
    repoRoot,
  );
  assert.equal(code, 0, stderr);
  return JSON.parse(stdout.trim().split("\n").at(-1)!);
}

describe("descriptor memory after a build", { timeout: 120_000 }, () => {
  const setFile = join(tempDir("ts-gateway-descriptor-memory-"), "aiplatform.binpb");

  before(async () => {
    const ws = await googleWorkspace();
    try {
      const built = await run(
        "buf",
        ["build", ".", "--path", "google/cloud/aiplatform/v1", "-o", setFile],
        ws.dir,
      );
      assert.equal(built.code, 0, built.stderr);
    } finally {
      await ws.dispose();
    }
  });

  it("compacting keeps every descriptor as it was and frees the lists' slack and repeated strings", async () => {
    const kept = await measure(["compact", setFile, "keep"]);
    assert.ok((kept.files as number) > 100, JSON.stringify(kept));
    assert.equal(kept.same, true);
    // 22.4 → 21.2 MB when measured: aiplatform's 145 files hold 1.2 MB of slack.
    assert.ok(
      (kept.after as number) < (kept.before as number) * 0.98,
      `heap used ${kept.before} → ${kept.after}`,
    );
  });

  it("without mux.validate the custom options go too", async () => {
    const dropped = await measure(["compact", setFile, "drop"]);
    assert.equal(dropped.same, true);
    // 21.1 → 18.4 MB when measured.
    assert.ok(
      (dropped.after as number) < (dropped.before as number) * 0.93,
      `heap used ${dropped.before} → ${dropped.after}`,
    );
  });

  it("a reload's retired generation is collected once its grace period is over", async () => {
    const heap = await measure(["reload", setFile]);
    const generation = (heap.running as number) - (heap.empty as number);
    // 8.8 MB for aiplatform/v1; 30.4 MB used 350 ms after the reload when
    // measured, 37.5 MB 15 s after it with the old generation still held.
    assert.ok(generation > 4 * 2 ** 20, JSON.stringify(heap));
    assert.ok(
      (heap.now as number) < (heap.running as number) + generation / 4,
      JSON.stringify(heap),
    );
  });

  it("the young generation a build grew shrinks once the process is idle", async () => {
    const young = await measure(["young"]);
    // 32 MB on 64-bit Node 20 and 22: without that the case proves nothing.
    assert.ok((young.grown as number) >= 16 * 2 ** 20, JSON.stringify(young));
    assert.ok((young.now as number) < (young.grown as number) / 4, JSON.stringify(young));
  });
});
