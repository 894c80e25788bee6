/**
 * The balancer reports each endpoint's state changes (`onEndpointEvent`, which
 * `ts-gateway serve` logs), and with its default reconnect backoff a replica
 * that comes back is connected again within about a second, however long it
 * was down (grpc-js's own backoff grows to 120 s; ours stops at 800 ms).
 */
// Runs in test:integration: an endpoint stays down 6 s (longer than grpc-js's default backoff would wait).
import assert from "node:assert/strict";
import { after, it } from "node:test";
import type { EndpointEvent } from "@ts-gateway/runtime/balancer";
import { createChannel } from "@ts-gateway/runtime/balancer";
import { type EchoBackend, startEchoBackend } from "../support/echo-backend.js";
import { eventually, sleep } from "../support/wait.js";

const started: EchoBackend[] = [];
after(async () => {
  await Promise.all(started.map((b) => b.stop()));
});

it("endpoint events: connected, lost, failing once, back within a second of listening", async () => {
  const a = await startEchoBackend("a");
  const victim = await startEchoBackend("b");
  started.push(a, victim);
  const events: (EndpointEvent & { at: number })[] = [];
  const channel = createChannel([a.address, victim.address], {
    name: "whoami",
    healthCheck: false,
    onEndpointEvent: (e) => events.push({ ...e, at: Date.now() }),
  });
  const of = (address: string) => events.filter((e) => e.address === address).map((e) => e.event);
  try {
    await eventually(
      () => of(victim.address).includes("READY") && of(a.address).includes("READY"),
      10_000,
      "both endpoints READY",
    );
    assert.ok(events.every((e) => e.backend === "whoami"));
    await victim.stop();
    await eventually(
      () => of(victim.address).includes("TRANSIENT_FAILURE"),
      10_000,
      "the killed endpoint failing",
    );
    // Down 6 s: grpc-js's default backoff (1 s × 1.6ⁿ, ±20 %) would next try at about 9 s.
    const failing = events.length;
    await sleep(6000);
    // Its reconnection attempts are one failure streak, not a line each.
    assert.deepEqual(
      events.slice(failing).filter((e) => e.address === victim.address),
      [],
      "no event while the endpoint stays down",
    );
    const back = await startEchoBackend("b", { port: victim.port });
    started.push(back);
    const listening = Date.now();
    await eventually(
      () => events.slice(failing).some((e) => e.address === victim.address && e.event === "READY"),
      10_000,
      "the restarted endpoint READY",
    );
    const ready = events.find(
      (e, i) => i >= failing && e.address === victim.address && e.event === "READY",
    );
    const waited = (ready?.at ?? Number.POSITIVE_INFINITY) - listening;
    // ≤ 960 ms of backoff (800 ms + 20 % jitter) plus the connection; grpc-js's default waits seconds here.
    assert.ok(waited < 2500, `reconnected ${waited} ms after the replica listened again`);
    assert.deepEqual(of(victim.address).slice(0, 2), ["CONNECTING", "READY"]);
  } finally {
    channel.close();
  }
});
