/**
 * High availability at the gateway level: three ha.v1 replicas in child
 * processes behind ONE gateway (generated router on the runtime mux, generated
 * client over a balanced channel), measured by the replica id in HTTP answers.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { readiness } from "@ts-gateway/runtime/balancer";
import {
  type HaGateway,
  type HaProcess,
  spawnHaBackend,
  startHaGateway,
  startHttpLoad,
  tally,
  whoAnswered,
} from "../support/ha-gateway.js";
import { eventually } from "../support/wait.js";

const readyCount = (gateway: HaGateway): number =>
  readiness(gateway.channel).endpoints.filter((e) => e.state === "READY" && e.healthy).length;

async function sequential(url: string, n: number): Promise<Map<string, number>> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) ids.push(await whoAnswered(url));
  return tally(ids);
}

describe("one gateway in front of three backend processes", () => {
  const processes: HaProcess[] = [];
  const gateways: HaGateway[] = [];
  const spawn = async (id: string, options: Parameters<typeof spawnHaBackend>[1] = {}) => {
    const p = await spawnHaBackend(id, options);
    processes.push(p);
    return p;
  };
  const gateway = async (...args: Parameters<typeof startHaGateway>) => {
    const g = await startHaGateway(...args);
    gateways.push(g);
    await eventually(() => readyCount(g) === 3, 10_000, "3 ready endpoints behind the gateway");
    return g;
  };
  after(async () => {
    await Promise.all(gateways.map((g) => g.close()));
    await Promise.all(processes.map((p) => p.stop()));
  });

  it("a replica killed and restarted under load: zero failed HTTP requests, traffic returns", async () => {
    const replicas = await Promise.all(["a", "b", "c"].map((id) => spawn(`fo-${id}`)));
    const gw = await gateway(
      replicas.map((r) => r.address),
      {
        policy: "round_robin",
        healthCheck: { intervalMs: 200 },
        reconnectBackoff: { initialMs: 100, maxMs: 500 },
      },
    );
    // Bounded steady load: 4 concurrent fetch loops, at most 6000 GETs in all.
    const load = startHttpLoad(`${gw.url}/v1/whoami`, { workers: 4, total: 6000 });
    try {
      await eventually(() => load.ids.length >= 150, 15_000, "warm-up requests");
      const victim = replicas[1] as HaProcess;
      await victim.stop("SIGKILL");
      const atKill = load.ids.length;
      await eventually(() => load.ids.length >= atKill + 300, 20_000, "requests after the kill");
      await eventually(() => readyCount(gw) === 2, 10_000, "the dead replica out of the ready set");
      const victimBefore = load.count(victim.id);

      await spawn(victim.id, { port: victim.port });
      await eventually(
        () => load.count(victim.id) >= victimBefore + 30,
        20_000,
        "traffic back on the restarted replica",
      );
    } finally {
      await load.stop();
    }
    assert.deepEqual(load.failures, [], `failed: ${load.failures.slice(0, 3).join("; ")}`);
    for (const r of replicas) assert.ok(load.count(r.id) > 0, `${r.id} served nothing`);
  });

  describe("balancing policies, measured through the gateway", () => {
    let ids: [string, string, string];
    let addresses: string[];
    before(async () => {
      // c is slow on SlowWhoAmI only; WhoAmI is fast everywhere.
      const replicas = await Promise.all([
        spawn("p-a"),
        spawn("p-b"),
        spawn("p-c", { env: { SLOW_MS: "150" } }),
      ]);
      ids = replicas.map((r) => r.id) as [string, string, string];
      addresses = replicas.map((r) => r.address);
    });

    it("round_robin: each replica within 10% of a fair share", async () => {
      const gw = await gateway(addresses, { policy: "round_robin" });
      const counts = await sequential(`${gw.url}/v1/whoami`, 300);
      for (const id of ids) {
        const n = counts.get(id) ?? 0;
        assert.ok(Math.abs(n - 100) <= 10, `${id} got ${n} of 300`);
      }
    });

    it("weighted_round_robin: shares follow 5:3:2", async () => {
      const [a, b, c] = addresses as [string, string, string];
      const gw = await gateway(addresses, {
        policy: "weighted_round_robin",
        weights: { [a]: 5, [b]: 3, [c]: 2 },
      });
      const counts = await sequential(`${gw.url}/v1/whoami`, 500);
      const expected = [250, 150, 100];
      ids.forEach((id, i) => {
        const want = expected[i] ?? 0;
        const n = counts.get(id) ?? 0;
        assert.ok(Math.abs(n - want) <= want * 0.1, `${id} got ${n}, want ~${want} of 500`);
      });
    });

    it("least_request: the slow replica gets less", async () => {
      const gw = await gateway(addresses, { policy: "least_request" });
      const load = startHttpLoad(`${gw.url}/v1/whoami:slow`, {
        workers: 6,
        total: 240,
        pauseMs: 0,
      });
      await load.finished;
      assert.deepEqual(load.failures, []);
      const counts = tally(load.ids);
      const slow = counts.get(ids[2]) ?? 0;
      const fastest = Math.max(counts.get(ids[0]) ?? 0, counts.get(ids[1]) ?? 0);
      // A fair share is 80 of 240; in-flight-aware picking keeps the busy replica well below it.
      assert.ok(slow < 240 * 0.2, `slow replica got ${slow} of 240`);
      assert.ok(slow * 2 < fastest, `slow ${slow} vs fastest ${fastest}`);
    });
  });
});
