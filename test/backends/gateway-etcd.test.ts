/** etcd discovery end to end through the gateway, against a real etcd server. */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { readiness } from "@ts-gateway/runtime/balancer";
import { Etcd3 } from "etcd3";
import { type EtcdServer, skipEtcd, startEtcd } from "../support/etcd.js";
import {
  type HaGateway,
  type HaProcess,
  spawnHaBackend,
  startHaGateway,
  whoAnswered,
} from "../support/ha-gateway.js";
import { eventually } from "../support/wait.js";

describe("etcd discovery behind the gateway", {
  skip: skipEtcd(),
}, () => {
  let etcd: EtcdServer;
  let client: Etcd3;
  let gw: HaGateway;
  const processes: HaProcess[] = [];
  before(async () => {
    etcd = await startEtcd();
    client = new Etcd3({ hosts: etcd.url });
    gw = await startHaGateway("etcd:///ha", { etcd: client, healthCheck: { intervalMs: 200 } });
  });
  after(async () => {
    await gw?.close();
    await Promise.all(processes.map((p) => p.stop()));
    client?.close();
    await etcd?.stop();
  });

  const spawn = async (id: string) => {
    const p = await spawnHaBackend(id, {
      env: { ETCD_HOSTS: etcd.url, ETCD_SERVICE: "ha", ETCD_TTL: "2" },
    });
    processes.push(p);
    return p;
  };
  const addresses = () =>
    readiness(gw.channel)
      .endpoints.map((e) => e.address)
      .sort();
  /** Replica ids answering `n` consecutive GETs through the gateway. */
  const answering = async (n: number) => {
    const ids = new Set<string>();
    for (let i = 0; i < n; i++) ids.add(await whoAnswered(`${gw.url}/v1/whoami`));
    return [...ids].sort();
  };

  it("registered replicas join the rotation; a killed one leaves when its lease expires", async () => {
    // No replica yet: the gateway fails fast with 503 and is not ready.
    const empty = await fetch(`${gw.url}/v1/whoami`);
    assert.equal(empty.status, 503);
    assert.equal((await fetch(`${gw.url}/readyz`)).status, 503);

    const one = await spawn("etcd-1");
    await eventually(async () => (await fetch(`${gw.url}/readyz`)).status === 200, 10_000, "ready");
    assert.deepEqual(await answering(5), ["etcd-1"]);

    const two = await spawn("etcd-2");
    await eventually(
      async () => (await answering(6)).length === 2,
      10_000,
      "both replicas answering through the gateway",
    );
    assert.deepEqual(addresses(), [one.address, two.address].sort());

    await two.stop("SIGKILL"); // no revoke: only the lease expiry removes it
    await eventually(
      () => !addresses().includes(two.address),
      15_000,
      "the killed replica leaving",
    );
    assert.deepEqual(await answering(10), ["etcd-1"]);
  });
});
