// The in-memory limiter's keys: rate-limiter-flexible's RateLimiterMemory
// frees a key when its window ends (a timer per key) but holds every key seen
// within a window, so keys a client picks (a header, a subject) could grow
// memory without bound. The capped limiter holds at most `maxKeys`, evicting
// the key whose window started first; measured here with 100k keys.
// Runs in test:integration: the capped limiter filled to its key bound.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { rateLimit } from "@ts-gateway/runtime/rate-limit";
import { RateLimiterMemory } from "rate-limiter-flexible";
import { CappedRateLimiterMemory } from "../../packages/runtime/src/rate-limit/capped-memory-limiter.js";
import { modes, type PipelineGateway, startPipelineGateway } from "../pipeline/pipeline-fixture.js";
import { http } from "./policy-support.js";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

/** Heap in use after a full collection, in MiB. */
function heapMiB(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed / 1024 / 1024;
}

/** Consumes one point for each of `count` distinct keys (like as many spoofed clients). */
async function flood(limiter: RateLimiterMemory, count: number, prefix: string): Promise<void> {
  for (let i = 0; i < count; i++) {
    await limiter.consume(`${prefix}${i}.${i >> 8}.${i & 255}`).catch(() => {});
  }
}

describe("the capped in-memory limiter", () => {
  const rows = [
    { maxKeys: 10, keys: 5, size: 5 },
    { maxKeys: 10, keys: 10, size: 10 },
    { maxKeys: 10, keys: 1000, size: 10 },
  ];
  for (const row of rows) {
    test(`maxKeys ${row.maxKeys}, ${row.keys} distinct keys: holds ${row.size}`, async () => {
      const limiter = new CappedRateLimiterMemory({ points: 5, duration: 60 }, row.maxKeys);
      await flood(limiter, row.keys, "k");
      assert.equal(limiter.size, row.size);
    });
  }

  test("an evicted key starts over; the others keep their count", async () => {
    const limiter = new CappedRateLimiterMemory({ points: 1, duration: 60 }, 2);
    await limiter.consume("a");
    await assert.rejects(limiter.consume("a"));
    await limiter.consume("b");
    await limiter.consume("c"); // evicts a, the oldest
    await limiter.consume("a"); // counted afresh (evicts b)
    await assert.rejects(limiter.consume("c"), "c kept its count");
  });

  test("keys whose window ended are forgotten", async () => {
    const limiter = new CappedRateLimiterMemory({ points: 5, duration: 1 }, 100);
    await flood(limiter, 50, "w");
    assert.equal(limiter.size, 50);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    await limiter.consume("late");
    assert.equal(limiter.size, 1);
  });

  test("100k distinct keys: memory bounded by the cap, unlike the library's own store", async () => {
    const base = heapMiB();
    const uncapped = new RateLimiterMemory({ points: 5, duration: 600 });
    await flood(uncapped, 100_000, "u");
    const uncappedGrowth = heapMiB() - base;
    for (let i = 0; i < 100_000; i++) void uncapped.delete(`u${i}.${i >> 8}.${i & 255}`);
    const base2 = heapMiB();
    const capped = new CappedRateLimiterMemory({ points: 5, duration: 600 }, 1000);
    await flood(capped, 100_000, "c");
    const cappedGrowth = heapMiB() - base2;
    assert.equal(capped.size, 1000);
    // The library's store is unbounded within a window (measured: ~45 MiB for 100k keys).
    assert.ok(uncappedGrowth > 10, `uncapped grew ${uncappedGrowth.toFixed(1)} MiB`);
    assert.ok(cappedGrowth < 2, `capped grew ${cappedGrowth.toFixed(1)} MiB`);
  });
});

for (const mode of modes) {
  describe(`rateLimit maxKeys (${mode})`, () => {
    let g: PipelineGateway;
    before(async () => {
      g = await startPipelineGateway(mode, [
        rateLimit({ points: 1, durationSec: 60, key: { header: "x-client" }, maxKeys: 2 }),
      ]);
    });
    after(() => g.close());

    test("a third client evicts the oldest: its count starts over", async () => {
      const call = async (client: string) =>
        (await http(`${g.url}/v1/echo/x`, { headers: { "x-client": client } })).status;
      const statuses = [];
      for (const client of ["a", "a", "b", "c", "a", "c"]) statuses.push(await call(client));
      assert.deepEqual(statuses, [200, 429, 200, 200, 200, 429]);
    });
  });
}
