import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as grpc from "@grpc/grpc-js";
import {
  type BalancerOptions,
  channelOptionsFor,
  createChannel,
  readiness,
} from "../../packages/runtime/src/balancer/balancer.js";
import { ejectionCap } from "../../packages/runtime/src/balancer/circuit-breaker.js";
import {
  type EchoBackend,
  startEchoBackend,
  WhoAmIClient,
  whoAmI,
} from "../support/echo-backend.js";
import { eventually } from "../support/wait.js";

/** A channel over `count` in-process backends, with the breaker as the only way out of rotation. */
async function setup(count: number, breaker: BalancerOptions["circuitBreaker"] = {}) {
  const backends = await Promise.all(
    Array.from({ length: count }, (_, i) => startEchoBackend(String.fromCharCode(97 + i))),
  );
  const channel = createChannel(
    backends.map((b) => b.address),
    {
      outlierDetection: false,
      healthCheck: { intervalMs: 100 },
      circuitBreaker: { consecutiveFailures: 3, halfOpenAfterMs: 3000, ...breaker },
    },
  );
  const client = new WhoAmIClient("ignored:1", null as never, channelOptionsFor(channel));
  await eventually(() => readiness(channel).ready, 5000, "channel ready");
  return {
    backends,
    client,
    ejected: () =>
      readiness(channel)
        .endpoints.filter((e) => e.ejected)
        .map((e) => backends.find((b) => b.address === e.address)?.id),
    async close() {
      client.close();
      channel.close();
      await Promise.all(backends.map((b) => b.stop()));
    },
  };
}

const settled = (p: Promise<string>) =>
  p.then(
    (id) => id,
    (e: grpc.ServiceError) => grpc.status[e.code],
  );

/** Makes `n` calls in sequence; returns who answered (or the error code). */
async function calls(client: grpc.Client, n: number, deadlineMs = 5000): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(await settled(whoAmI(client, {}, deadlineMs)));
  return out;
}

describe("circuit breaker: what counts as an endpoint's failure", () => {
  const cases: {
    name: string;
    /** What endpoint "a" does to every call. */
    failWith?: grpc.status;
    delayMs?: number;
    deadlineMs?: number;
    breaker?: BalancerOptions["circuitBreaker"];
    ejected: string[];
  }[] = [
    { name: "UNAVAILABLE ejects the endpoint", failWith: grpc.status.UNAVAILABLE, ejected: ["a"] },
    { name: "INTERNAL does not count by default", failWith: grpc.status.INTERNAL, ejected: [] },
    { name: "UNKNOWN does not count by default", failWith: grpc.status.UNKNOWN, ejected: [] },
    { name: "NOT_FOUND does not count", failWith: grpc.status.NOT_FOUND, ejected: [] },
    {
      name: "INTERNAL counts when isFailure says so",
      failWith: grpc.status.INTERNAL,
      breaker: { isFailure: (code) => code === grpc.status.INTERNAL },
      ejected: ["a"],
    },
    {
      name: "DEADLINE_EXCEEDED answered by the backend never counts",
      failWith: grpc.status.DEADLINE_EXCEEDED,
      breaker: { isFailure: () => true },
      ejected: [],
    },
    {
      name: "CANCELLED answered by the backend never counts",
      failWith: grpc.status.CANCELLED,
      breaker: { isFailure: () => true },
      ejected: [],
    },
    { name: "client deadlines of 1 ms never count", delayMs: 50, deadlineMs: 1, ejected: [] },
    {
      name: "client deadlines never count, even with isFailure () => true",
      delayMs: 50,
      deadlineMs: 5,
      breaker: { isFailure: () => true },
      ejected: [],
    },
  ];
  for (const row of cases) {
    it(row.name, async () => {
      const t = await setup(3, row.breaker);
      try {
        const [a] = t.backends as [EchoBackend, ...EchoBackend[]];
        if (row.failWith !== undefined) a.failWith = row.failWith;
        if (row.delayMs !== undefined) for (const b of t.backends) b.delayMs = row.delayMs;
        await calls(t.client, 30, row.deadlineMs);
        assert.deepEqual(t.ejected(), row.ejected);
        for (const b of t.backends) b.delayMs = 0;
        const answers = await calls(t.client, 12);
        if (row.ejected.length > 0) {
          assert.ok(!answers.includes("a"), `ejected endpoint got calls: ${answers}`);
          assert.ok(
            answers.every((id) => id === "b" || id === "c"),
            String(answers),
          );
        } else if (row.failWith === undefined) {
          assert.deepEqual(new Set(answers), new Set(["a", "b", "c"]));
        }
      } finally {
        await t.close();
      }
    });
  }
});

it("client-cancelled calls never count", async () => {
  const t = await setup(3);
  try {
    for (const b of t.backends) b.delayMs = 200;
    for (let i = 0; i < 30; i++) {
      const call = (
        t.client as unknown as { get(r: object, cb: () => void): grpc.ClientUnaryCall }
      ).get({}, () => undefined);
      setTimeout(() => call.cancel(), 5);
    }
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(t.ejected(), []);
    for (const b of t.backends) b.delayMs = 0;
    assert.deepEqual(new Set(await calls(t.client, 9)), new Set(["a", "b", "c"]));
  } finally {
    await t.close();
  }
});

describe("ejection cap", () => {
  const caps: [endpoints: number, percent: number, cap: number][] = [
    [1, 50, 0],
    [2, 50, 1],
    [3, 50, 1],
    [4, 50, 2],
    [10, 10, 1],
    [3, 100, 2],
    [5, 0, 0],
  ];
  for (const [endpoints, percent, cap] of caps) {
    it(`${endpoints} endpoints at ${percent}% → at most ${cap} ejected`, () => {
      assert.equal(ejectionCap(endpoints, percent), cap);
    });
  }

  const live: [endpoints: number, failing: number, percent: number | undefined, max: number][] = [
    [1, 1, undefined, 0],
    [2, 2, undefined, 1],
    [3, 3, undefined, 1],
    [3, 3, 100, 2],
  ];
  for (const [endpoints, failing, percent, max] of live) {
    it(`${failing} of ${endpoints} failing endpoints, maxEjectionPercent ${percent ?? "default"}: ${max} ejected`, async () => {
      const t = await setup(
        endpoints,
        percent === undefined ? {} : { maxEjectionPercent: percent },
      );
      try {
        for (const b of t.backends.slice(0, failing)) b.failWith = grpc.status.UNAVAILABLE;
        let most = 0;
        for (let i = 0; i < 40; i++) {
          await settled(whoAmI(t.client));
          most = Math.max(most, t.ejected().length);
        }
        assert.equal(most, max);
        assert.equal(t.ejected().length, max);
      } finally {
        await t.close();
      }
    });
  }
});

it("re-admits an ejected endpoint after halfOpenAfterMs: a failed trial ejects it again, a good one keeps it", async () => {
  const t = await setup(3, { halfOpenAfterMs: 1000 });
  try {
    const [a] = t.backends as [EchoBackend, ...EchoBackend[]];
    a.failWith = grpc.status.UNAVAILABLE;
    await calls(t.client, 15);
    assert.deepEqual(t.ejected(), ["a"]);
    await eventually(() => t.ejected().length === 0, 4000, "re-admission");
    await calls(t.client, 6);
    assert.deepEqual(t.ejected(), ["a"], "a failed trial ejects again");
    a.failWith = undefined;
    await eventually(() => t.ejected().length === 0, 4000, "second re-admission");
    const answers = await calls(t.client, 30);
    assert.deepEqual(t.ejected(), []);
    assert.ok(answers.filter((id) => id === "a").length >= 5, String(answers));
  } finally {
    await t.close();
  }
});
