// The verified-token cache of jwtAuth: bounded in size, never trusted past
// its ttl or the token's exp (plus the clock tolerance).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { VerifiedTokenCache } from "../../packages/runtime/src/auth/verified-token-cache.js";

const t0 = 1_800_000_000_000; // ms

describe("VerifiedTokenCache", () => {
  const cases: {
    name: string;
    exp?: number;
    toleranceSec: number;
    at: number;
    cached: boolean;
  }[] = [
    { name: "within the ttl", toleranceSec: 0, at: t0 + 59_999, cached: true },
    { name: "past the ttl", toleranceSec: 0, at: t0 + 60_000, cached: false },
    { name: "before exp", exp: t0 / 1000 + 10, toleranceSec: 0, at: t0 + 9_999, cached: true },
    { name: "at exp", exp: t0 / 1000 + 10, toleranceSec: 0, at: t0 + 10_000, cached: false },
    {
      name: "within the clock tolerance after exp",
      exp: t0 / 1000 + 10,
      toleranceSec: 5,
      at: t0 + 14_999,
      cached: true,
    },
    {
      name: "an exp already past is not kept",
      exp: t0 / 1000 - 1,
      toleranceSec: 0,
      at: t0,
      cached: false,
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const cache = new VerifiedTokenCache({ ttlMs: 60_000 }, c.toleranceSec);
      cache.set("t", c.exp === undefined ? { sub: "a" } : { sub: "a", exp: c.exp }, t0);
      assert.equal(cache.get("t", c.at) !== undefined, c.cached);
    });
  }

  it("keeps at most maxTokens, dropping the oldest", () => {
    const cache = new VerifiedTokenCache({ maxTokens: 3 }, 0);
    for (const token of ["a", "b", "c", "d"]) cache.set(token, { sub: token }, t0);
    assert.equal(cache.size, 3);
    assert.equal(cache.get("a", t0), undefined);
    assert.deepEqual(cache.get("d", t0), { sub: "d" });
  });

  it("refuses a size or ttl that is not positive", () => {
    assert.throws(() => new VerifiedTokenCache({ maxTokens: 0 }, 0), /positive/);
    assert.throws(() => new VerifiedTokenCache({ ttlMs: 0 }, 0), /positive/);
  });
});
