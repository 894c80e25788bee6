/**
 * DNS discovery for real: Debian's dnsmasq on a loopback port serves the
 * backend name from an addn-hosts file that the test rewrites and reloads
 * (SIGHUP), and the gateway resolves `dns://127.0.0.1:<port>/inventory.test:<p>`
 * with grpc-js's resolver pointed at that server. A backend added to the name
 * starts receiving calls, one removed stops, within the re-resolution interval.
 */
import assert from "node:assert/strict";
import { Resolver } from "node:dns/promises";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { tool } from "../support/tools.js";
import { eventually, freePort, sleep } from "../support/wait.js";
import {
  buildDescriptorSet,
  freshRequest,
  makeWorkdir,
  startChild,
  startGateway,
  startPlainBackend,
  stopAll,
} from "./support/processes.js";

after(stopAll);

const dnsmasqTool = tool("dnsmasq");

/** Resolves once dnsmasq on `port` answers `name` (`rrtype` A or TXT): it is up and has read its files. */
function dnsmasqAnswers(port: number, name: string, rrtype: "A" | "TXT"): Promise<unknown> {
  const resolver = new Resolver({ timeout: 500, tries: 1 });
  resolver.setServers([`127.0.0.1:${port}`]);
  return eventually(
    () =>
      resolver.resolve(name, rrtype).then(
        () => true,
        () => false,
      ),
    10_000,
    `dnsmasq on port ${port} answering ${name} ${rrtype}`,
  );
}

describe("dns:/// backends whose records change", {
  skip: dnsmasqTool.skip,
}, () => {
  it("a backend added to the name gets calls, one removed stops getting them", async () => {
    const work = makeWorkdir();
    buildDescriptorSet(join(work.dir, "api.binpb"));
    // A records carry no port: the two replicas share one port on two loopback addresses.
    const grpcPort = await freePort();
    await startPlainBackend("b2", grpcPort, "127.0.0.2");
    await startPlainBackend("b3", grpcPort, "127.0.0.3");
    const hosts = work.write("hosts", "127.0.0.2 inventory.test\n");
    const dnsPort = await freePort();
    const dnsmasq = startChild(dnsmasqTool.bin!, [
      "--keep-in-foreground",
      "--no-resolv",
      "--no-hosts",
      `--addn-hosts=${hosts}`,
      `--port=${dnsPort}`,
      "--listen-address=127.0.0.1",
      "--bind-interfaces",
      "--cache-size=0",
      "--local-ttl=0",
      "--user=root",
      "--pid-file=",
      "--log-facility=-",
    ]);
    await dnsmasqAnswers(dnsPort, "inventory.test", "A");
    const port = await freePort();
    const intervalMs = 1000;
    await startGateway(
      work.write(
        "gateway.yaml",
        `server:
  listeners: [{ host: 127.0.0.1, port: ${port} }]
backends:
  inventory:
    target: dns://127.0.0.1:${dnsPort}/inventory.test:${grpcPort}
    reresolveIntervalMs: ${intervalMs}
services:
  - { descriptorSet: api.binpb, backend: inventory }
`,
      ),
      [],
      // grpc-js honours the DNS server in the target's authority with its alternative resolver.
      { GRPC_NODE_USE_ALTERNATIVE_RESOLVER: "true" },
    );
    const servedBy = async (n: number) => {
      const seen = new Set<string>();
      for (let i = 0; i < n; i++) {
        const res = await freshRequest(`http://127.0.0.1:${port}/v1/items/${i}`);
        assert.equal(res.status, 200, res.body);
        seen.add((JSON.parse(res.body) as { servedBy: string }).servedBy);
      }
      return [...seen].sort();
    };
    /** Waits for the set of replicas answering to become `expected`; returns how long it took. */
    const servedOnlyBy = async (expected: string[]) => {
      const t0 = Date.now();
      let seen: string[] = [];
      while (Date.now() - t0 < 20_000) {
        const probe = Date.now();
        seen = await servedBy(10);
        if (seen.join() === expected.join()) {
          // ...and stays so.
          assert.deepEqual(await servedBy(20), expected);
          // The change had happened when this probe began.
          return probe - t0;
        }
        await sleep(100);
      }
      assert.fail(`still served by ${seen.join()} instead of ${expected.join()}`);
    };

    assert.deepEqual(await servedBy(10), ["b2"]);
    work.write("hosts", "127.0.0.2 inventory.test\n127.0.0.3 inventory.test\n");
    dnsmasq.process.kill("SIGHUP");
    const added = await servedOnlyBy(["b2", "b3"]);
    work.write("hosts", "127.0.0.3 inventory.test\n");
    dnsmasq.process.kill("SIGHUP");
    const removed = await servedOnlyBy(["b3"]);
    // Within the re-resolution interval, plus dnsmasq's reload and a connection on a loaded machine.
    assert.ok(added < intervalMs + 5000, `added after ${added} ms`);
    assert.ok(removed < intervalMs + 5000, `removed after ${removed} ms`);
    console.log(`backend added: calls after ${added} ms; removed: no calls after ${removed} ms`);
  });

  it("weights from a DNS TXT service config (grpc_config=) pick the replicas 3:1", async () => {
    // grpc-js reads `grpc_config=` TXT records of the name it resolves, and a
    // service config found there replaces the channel's own (the generated
    // one with health checks, retries and deadlines): a TXT config must say
    // everything, so ts-gateway keeps weights in its own config by default.
    const work = makeWorkdir();
    buildDescriptorSet(join(work.dir, "api.binpb"));
    const grpcPort = await freePort();
    await startPlainBackend("w2", grpcPort, "127.0.0.2");
    await startPlainBackend("w3", grpcPort, "127.0.0.3");
    const hosts = work.write("hosts", "127.0.0.2 weighted.test\n127.0.0.3 weighted.test\n");
    const serviceConfig = [
      {
        serviceConfig: {
          loadBalancingConfig: [
            {
              ts_gateway_weighted_round_robin: {
                weights: { [`127.0.0.2:${grpcPort}`]: 3, [`127.0.0.3:${grpcPort}`]: 1 },
              },
            },
          ],
        },
      },
    ];
    const dnsPort = await freePort();
    startChild(dnsmasqTool.bin!, [
      "--keep-in-foreground",
      "--no-resolv",
      "--no-hosts",
      `--addn-hosts=${hosts}`,
      // From a config file: only there does dnsmasq read a quoted text with commas as one string.
      `--conf-file=${work.write(
        "dnsmasq.conf",
        `txt-record=weighted.test,"grpc_config=${JSON.stringify(serviceConfig).replaceAll('"', '\\"')}"\n`,
      )}`,
      `--port=${dnsPort}`,
      "--listen-address=127.0.0.1",
      "--bind-interfaces",
      "--cache-size=0",
      "--local-ttl=0",
      "--user=root",
      "--pid-file=",
      "--log-facility=-",
    ]);
    await dnsmasqAnswers(dnsPort, "weighted.test", "TXT");
    const port = await freePort();
    await startGateway(
      work.write(
        "gateway.yaml",
        `server:
  listeners: [{ host: 127.0.0.1, port: ${port} }]
backends:
  inventory:
    target: dns://127.0.0.1:${dnsPort}/weighted.test:${grpcPort}
    policy: round_robin
services:
  - { descriptorSet: api.binpb, backend: inventory }
`,
      ),
      [],
      { GRPC_NODE_USE_ALTERNATIVE_RESOLVER: "true" },
    );
    const count = async (n: number) => {
      const counts = new Map<string, number>();
      for (let i = 0; i < n; i++) {
        const res = await fetch(`http://127.0.0.1:${port}/v1/items/${i}`);
        const body = (await res.json()) as { servedBy: string };
        assert.equal(res.status, 200, JSON.stringify(body));
        const by = body.servedBy;
        counts.set(by, (counts.get(by) ?? 0) + 1);
      }
      return counts;
    };
    // Both replicas connected (the first calls may find one still connecting).
    let counts = new Map<string, number>();
    for (let i = 0; i < 20 && counts.size < 2; i++) counts = await count(8);
    counts = await count(80);
    const [w2, w3] = [counts.get("w2") ?? 0, counts.get("w3") ?? 0];
    assert.ok(
      w2 >= 55 && w2 <= 65 && w3 >= 15 && w3 <= 25,
      `w2 ${w2}, w3 ${w3} of 80 (3:1 is 60:20)`,
    );
  });
});
