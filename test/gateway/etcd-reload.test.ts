/**
 * SIGHUP with an `etcd:///` backend: each reload builds a new backend with
 * its own etcd client (connection and watcher); the old one is closed once
 * its grace period is over, so after several reloads the gateway holds no
 * more etcd connections or watchers than it did at start, still resolves
 * through etcd, and every replaced etcd client was closed.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { loadConfig } from "../../packages/gateway/src/config/load-config.js";
import { startGateway as startInProcess } from "../../packages/gateway/src/lifecycle/gateway.js";
import {
  type EtcdRegistration,
  registerInEtcd,
} from "../../packages/runtime/src/etcd/etcd-registration.js";
import { type EtcdServer, skipEtcd, startEtcd } from "../support/etcd.js";
import { freePort, sleep } from "../support/wait.js";
import {
  buildDescriptorSet,
  type Child,
  makeWorkdir,
  startGateway,
  startPlainBackend,
  stopAll,
} from "./support/processes.js";

/** Established TCP connections of process `pid` to `port` (its socket fds matched in /proc). */
function connectionsTo(pid: number, port: number): number {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m !== null) inodes.add(m[1]!);
    } catch {
      // closed meanwhile
    }
  }
  let count = 0;
  for (const table of ["tcp", "tcp6"]) {
    for (const line of readFileSync(`/proc/${pid}/net/${table}`, "utf8").split("\n").slice(1)) {
      const f = line.trim().split(/\s+/);
      const remotePort = Number.parseInt(f[2]?.split(":")[1] ?? "", 16);
      if (f[3] === "01" && remotePort === port && inodes.has(f[9] ?? "")) count++;
    }
  }
  return count;
}

/** Watchers the etcd server has open (its own gauge). */
async function watchers(): Promise<number> {
  const text = await (await fetch(`${etcdUrl}/metrics`)).text();
  return Number(/^etcd_debugging_mvcc_watcher_total (\d+)$/m.exec(text)?.[1] ?? Number.NaN);
}
let etcdUrl = "";

describe("SIGHUP with an etcd backend", { skip: skipEtcd() }, () => {
  const work = makeWorkdir();
  let etcd: EtcdServer;
  let registration: EtcdRegistration;
  let gateway: Child;
  let url = "";
  let etcdPort = 0;

  before(async () => {
    buildDescriptorSet(join(work.dir, "api.binpb"));
    etcd = await startEtcd();
    etcdPort = Number(etcd.hostPort.split(":")[1]);
    etcdUrl = etcd.url;
    const backend = await startPlainBackend("etcd-b1");
    registration = await registerInEtcd({
      etcd: { hosts: etcd.url },
      service: "inventory",
      id: "b1",
      address: `127.0.0.1:${backend.port}`,
    });
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    const config = work.write(
      "gateway.yaml",
      `server:
  listeners: [{ host: 127.0.0.1, port: ${port} }]
shutdown: { drainDelayMs: 0, gracePeriodMs: 300 }
backends:
  inventory:
    target: etcd:///inventory
    etcd: { hosts: ["${etcd.url}"] }
services:
  - descriptorSet: api.binpb
    backend: inventory
`,
    );
    gateway = await startGateway(config);
  });
  after(async () => {
    await registration?.close();
    await stopAll();
    await etcd?.stop();
  });

  it("holds no more etcd connections or watchers after four reloads than before them", async () => {
    assert.equal((await fetch(`${url}/v1/items/1`)).status, 200);
    const before = connectionsTo(gateway.pid, etcdPort);
    assert.ok(before >= 1, "the gateway is connected to etcd");
    assert.equal(await watchers(), 1);
    for (let i = 1; i <= 4; i++) {
      gateway.process.kill("SIGHUP");
      await gateway.waitFor(new RegExp(`(reloaded: [^\\n]*\\n[^]*){${i}}`));
      const res = await fetch(`${url}/v1/items/${i}`);
      assert.equal(res.status, 200, await res.text());
    }
    // Old generations close 300 ms (gracePeriodMs) after their replacement.
    const settled = async () =>
      connectionsTo(gateway.pid, etcdPort) === before && (await watchers()) === 1;
    for (let i = 0; i < 50 && !(await settled()); i++) await sleep(100);
    assert.equal(connectionsTo(gateway.pid, etcdPort), before, "etcd connections");
    assert.equal(await watchers(), 1, "etcd watchers");
  });

  it("closes the etcd client of every replaced generation, and the last one at shutdown", async () => {
    // In this process, to see the clients themselves: grpc-js shares one TCP
    // connection between them, and the resolver cancels its watch when its
    // channel closes, so a leaked client shows only here.
    const { Etcd3 } = await import("etcd3");
    const close = Etcd3.prototype.close;
    let closed = 0;
    Etcd3.prototype.close = function (this: InstanceType<typeof Etcd3>) {
      closed++;
      return close.call(this);
    };
    try {
      const file = join(work.dir, "gateway.yaml");
      work.write(
        "gateway.yaml",
        readFileSync(file, "utf8").replace(/port: \d+ \}/, `port: ${await freePort()} }`),
      );
      const running = await startInProcess(loadConfig(file), { log: () => {}, workerId: "t" });
      for (let i = 0; i < 4; i++) await running.reload(loadConfig(file));
      for (let i = 0; i < 30 && closed < 4; i++) await sleep(100);
      assert.equal(closed, 4, "the four replaced generations' clients");
      await running.shutdown("test");
      assert.equal(closed, 5, "and the last one's at shutdown");
    } finally {
      Etcd3.prototype.close = close;
    }
  });
});
