import assert from "node:assert/strict";
import { after, it } from "node:test";
import type * as grpc from "@grpc/grpc-js";
import {
  channelOptionsFor,
  createChannel,
  readiness,
} from "../../packages/runtime/src/balancer/balancer.js";
import { type BackendProcess, spawnBackend } from "../support/backend-processes.js";
import { WhoAmIClient, whoAmI } from "../support/echo-backend.js";
import { eventually } from "../support/wait.js";

const started: BackendProcess[] = [];
after(async () => {
  await Promise.all(started.map((b) => b.kill()));
});

async function spawn(id: string, port?: number): Promise<BackendProcess> {
  const backend = await spawnBackend(id, port === undefined ? {} : { port });
  started.push(backend);
  return backend;
}

it("a backend killed and restarted under load: zero failed calls, traffic returns", async () => {
  const backends = await Promise.all(["a", "b", "c"].map((id) => spawn(id)));
  const channel = createChannel(
    backends.map((b) => b.address),
    {
      policy: "round_robin",
      retry: { methods: ["test.WhoAmI"], maxAttempts: 5, initialBackoffMs: 50, maxBackoffMs: 500 },
      healthCheck: { intervalMs: 200 },
      reconnectBackoff: { initialMs: 100, maxMs: 500 },
      circuitBreaker: false,
    },
  );
  const client: grpc.Client = new WhoAmIClient(
    "ignored:1",
    null as never,
    channelOptionsFor(channel),
  );
  try {
    await eventually(
      () => readiness(channel).endpoints.filter((e) => e.state === "READY").length === 3,
      5000,
      "3 ready",
    );

    const seen: string[] = [];
    const failures: string[] = [];
    let stop = false;
    let calls = 0;
    // Bounded steady load: 4 workers, at most 5000 calls in total.
    const load = Promise.all(
      Array.from({ length: 4 }, async () => {
        while (!stop && calls < 5000) {
          calls++;
          try {
            seen.push(await whoAmI(client));
          } catch (error) {
            failures.push((error as Error).message);
          }
          await new Promise((r) => setTimeout(r, 2));
        }
      }),
    );
    const countOf = (id: string) => seen.filter((s) => s === id).length;

    await eventually(() => seen.length >= 100, 10_000, "warm-up calls");
    const victim = backends[1] as BackendProcess;
    await victim.kill();
    const atKill = seen.length;
    await eventually(() => seen.length >= atKill + 200, 10_000, "calls after the kill");
    const bBefore = countOf("b");

    await spawn("b", victim.port);
    await eventually(
      () => countOf("b") >= bBefore + 20,
      15_000,
      "traffic to the restarted backend",
    );
    stop = true;
    await load;

    assert.deepEqual(failures, [], `failed calls: ${failures.slice(0, 3).join("; ")}`);
    assert.ok(countOf("a") > 0 && countOf("c") > 0);
  } finally {
    client.close();
  }
});
