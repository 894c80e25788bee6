// The in-memory limiter's keys: rate-limiter-flexible's RateLimiterMemory
// frees a key when its window ends (a timer per key) but holds every key seen
// within a window, so keys a client picks (a header, a subject) could grow
// memory without bound. The limiters of one rateLimit share a zone holding at
// most `maxKeys` states of at most `maxBytes` together (keys past 64
// characters hashed), evicting the state whose window started first;
// measured here with 100k keys.
// Runs in test:integration: the capped limiter filled to its key bound.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { rateLimit } from "@ts-gateway/runtime/rate-limit";
import { RateLimiterMemory } from "rate-limiter-flexible";
import {
  CappedRateLimiterMemory,
  defaultMaxBytes,
  KeyZone,
} from "../../packages/runtime/src/rate-limit/capped-memory-limiter.js";
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

/** A capped limiter in a zone of its own. */
function capped(
  options: { points: number; duration: number },
  maxKeys: number,
  maxBytes = defaultMaxBytes,
): CappedRateLimiterMemory & { size: number } {
  const zone = new KeyZone(maxKeys, maxBytes);
  const limiter = new CappedRateLimiterMemory(options, zone);
  return Object.defineProperty(limiter, "size", { get: () => zone.size }) as never;
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
      const limiter = capped({ points: 5, duration: 60 }, row.maxKeys);
      await flood(limiter, row.keys, "k");
      assert.equal(limiter.size, row.size);
    });
  }

  test("an evicted key starts over; the others keep their count", async () => {
    const limiter = capped({ points: 1, duration: 60 }, 2);
    await limiter.consume("a");
    await assert.rejects(limiter.consume("a"));
    await limiter.consume("b");
    await limiter.consume("c"); // evicts a, the oldest
    await limiter.consume("a"); // counted afresh (evicts b)
    await assert.rejects(limiter.consume("c"), "c kept its count");
  });

  test("a byte budget bounds the states: 8 KB keys are hashed, 1 MiB holds about 1 600 states", async () => {
    const zone = new KeyZone(1_000_000, 1024 * 1024);
    const limiter = new CappedRateLimiterMemory({ points: 5, duration: 60 }, zone);
    const long = "k".repeat(8192);
    for (let i = 0; i < 5000; i++) await limiter.consume(`${i}${long}`);
    assert.ok(zone.bytes <= 1024 * 1024, `${zone.bytes} bytes`);
    assert.ok(zone.size > 1000 && zone.size < 2000, `${zone.size} states`);
    await limiter.consume(`4999${long}`);
    await assert.rejects(
      limiter
        .consume(`4999${long}`)
        .then(() => limiter.consume(`4999${long}`))
        .then(() => limiter.consume(`4999${long}`))
        .then(() => limiter.consume(`4999${long}`)),
      "a hashed key keeps its count",
    );
  });

  test("keys whose window ended are forgotten", async () => {
    const limiter = capped({ points: 5, duration: 1 }, 100);
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
    const bounded = capped({ points: 5, duration: 600 }, 1000);
    await flood(bounded, 100_000, "c");
    const cappedGrowth = heapMiB() - base2;
    assert.equal(bounded.size, 1000);
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
