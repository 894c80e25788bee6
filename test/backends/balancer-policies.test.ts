import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type * as grpc from "@grpc/grpc-js";
import {
  channelOptionsFor,
  createChannel,
  readiness,
} from "../../packages/runtime/src/balancer/balancer.js";
import {
  type EchoBackend,
  startEchoBackend,
  tally,
  WhoAmIClient,
  whoAmI,
} from "../support/echo-backend.js";
import { eventually } from "../support/wait.js";

describe("balancing policies over real grpc-js backends", () => {
  let backends: EchoBackend[] = [];
  before(async () => {
    backends = await Promise.all(["a", "b", "c"].map((id) => startEchoBackend(id)));
  });
  after(async () => {
    await Promise.all(backends.map((b) => b.stop()));
  });

  async function withClient<T>(
    channel: grpc.Channel,
    run: (client: grpc.Client) => Promise<T>,
  ): Promise<T> {
    const client = new WhoAmIClient("ignored:1", null as never, channelOptionsFor(channel));
    try {
      await eventually(
        () => readiness(channel).endpoints.filter((e) => e.state === "READY").length === 3,
        5000,
        "3 ready endpoints",
      );
      return await run(client);
    } finally {
      client.close();
    }
  }

  it("round_robin gives each backend a fair share (within 10%)", async () => {
    const channel = createChannel(
      backends.map((b) => b.address),
      { policy: "round_robin" },
    );
    const ids = await withClient(channel, async (client) => {
      const out: string[] = [];
      for (let i = 0; i < 300; i++) out.push(await whoAmI(client));
      return out;
    });
    const counts = tally(ids);
    for (const b of backends) {
      const n = counts.get(b.id) ?? 0;
      assert.ok(Math.abs(n - 100) <= 10, `${b.id} got ${n} of 300`);
    }
  });

  it("weighted_round_robin follows 5:3:2", async () => {
    const [a, b, c] = backends as [EchoBackend, EchoBackend, EchoBackend];
    const weights = { [a.address]: 5, [b.address]: 3, [c.address]: 2 };
    const channel = createChannel(
      backends.map((x) => x.address),
      { policy: "weighted_round_robin", weights },
    );
    const ids = await withClient(channel, async (client) => {
      const out: string[] = [];
      for (let i = 0; i < 500; i++) out.push(await whoAmI(client));
      return out;
    });
    const counts = tally(ids);
    const expected: [EchoBackend, number][] = [
      [a, 250],
      [b, 150],
      [c, 100],
    ];
    for (const [backend, want] of expected) {
      const n = counts.get(backend.id) ?? 0;
      assert.ok(Math.abs(n - want) <= want * 0.1, `${backend.id} got ${n}, want ~${want}`);
    }
  });

  it("least_request sends less to a slow backend", async () => {
    const [slow] = backends as [EchoBackend];
    slow.delayMs = 100;
    try {
      const channel = createChannel(
        backends.map((x) => x.address),
        { policy: "least_request" },
      );
      const ids = await withClient(channel, async (client) => {
        const out: string[] = [];
        // 6 concurrent workers, 40 calls each: fast backends free up, the slow one stays busy.
        await Promise.all(
          Array.from({ length: 6 }, async () => {
            for (let i = 0; i < 40; i++) out.push(await whoAmI(client));
          }),
        );
        return out;
      });
      const counts = tally(ids);
      const slowShare = (counts.get(slow.id) ?? 0) / ids.length;
      assert.ok(slowShare < 0.2, `slow backend got ${(slowShare * 100).toFixed(1)}% of calls`);
    } finally {
      slow.delayMs = 0;
    }
  });

  it("pick_first sends everything to one backend", async () => {
    const channel = createChannel(
      backends.map((b) => b.address),
      { policy: "pick_first" },
    );
    const client = new WhoAmIClient("ignored:1", null as never, channelOptionsFor(channel));
    const ids: string[] = [];
    for (let i = 0; i < 30; i++) ids.push(await whoAmI(client));
    client.close();
    assert.equal(tally(ids).size, 1);
  });
});
