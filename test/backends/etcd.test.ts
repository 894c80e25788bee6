import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Etcd3 } from "etcd3";
import {
  channelOptionsFor,
  createChannel,
  readiness,
} from "../../packages/runtime/src/balancer/balancer.js";
import { registerInEtcd } from "../../packages/runtime/src/etcd/etcd-registration.js";
import { type BackendProcess, spawnBackend } from "../support/backend-processes.js";
import {
  type EchoBackend,
  startEchoBackend,
  WhoAmIClient,
  whoAmI,
} from "../support/echo-backend.js";
import { type EtcdServer, skipEtcd, startEtcd } from "../support/etcd.js";
import { eventually } from "../support/wait.js";

describe("etcd discovery", { skip: skipEtcd() }, () => {
  let etcd: EtcdServer;
  let client: Etcd3;
  const cleanup: (() => Promise<void> | void)[] = [];

  before(async () => {
    etcd = await startEtcd();
    client = new Etcd3({ hosts: etcd.url });
  });
  after(async () => {
    for (const step of cleanup.reverse()) await step();
    client?.close();
    await etcd?.stop();
  });

  const addresses = (channel: ReturnType<typeof createChannel>) =>
    readiness(channel)
      .endpoints.map((e) => e.address)
      .sort();

  it("registered backends appear in rotation; a killed one leaves when its lease expires", async () => {
    const inProcess: EchoBackend = await startEchoBackend("local");
    cleanup.push(() => inProcess.stop());
    const registration = await registerInEtcd({
      etcd: client,
      service: "whoami",
      id: "local",
      address: inProcess.address,
      ttlSeconds: 2,
    });
    cleanup.push(() => registration.close());

    const channel = createChannel("etcd:///whoami", {
      etcd: client,
      policy: "round_robin",
      circuitBreaker: false,
    });
    const grpcClient = new WhoAmIClient("ignored:1", null as never, channelOptionsFor(channel));
    cleanup.push(() => grpcClient.close());
    assert.equal(await whoAmI(grpcClient), "local");

    const remote: BackendProcess = await spawnBackend("remote", {
      env: { ETCD_HOSTS: etcd.url, ETCD_SERVICE: "whoami", ETCD_TTL: "2" },
    });
    cleanup.push(() => remote.kill());
    // The watch delivers the new key at once; allow slack for a loaded machine.
    await eventually(
      () => addresses(channel).includes(remote.address),
      3000,
      "remote backend in the endpoint set",
    );
    const seen = new Set<string>();
    await eventually(
      async () => {
        seen.add(await whoAmI(grpcClient));
        return seen.has("remote") && seen.has("local");
      },
      5000,
      "both backends answering",
    );

    await remote.kill();
    // Lease TTL is 2 s; etcd expires it within a couple of seconds more.
    await eventually(
      () => !addresses(channel).includes(remote.address),
      10_000,
      "remote backend leaving",
    );
    assert.deepEqual(addresses(channel), [inProcess.address]);
    for (let i = 0; i < 10; i++) assert.equal(await whoAmI(grpcClient), "local");

    await registration.close();
    await eventually(() => addresses(channel).length === 0, 3000, "revoked registration leaving");
    await assert.rejects(whoAmI(grpcClient, {}, 2000), (e: { code?: number }) => e.code === 14);
  });
});
