/**
 * `workers: 2` (one per core on the CI machine): both workers serve traffic
 * (each answer names its worker), /metrics sums both, a SIGKILLed worker is replaced, SIGHUP
 * reloads routes under load without a failed request, and SIGTERM drains
 * every worker (readiness 503, in-flight calls finish) and exits in time.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { freePort, sleep } from "../support/wait.js";
import {
  buildDescriptorSet,
  type Child,
  freshRequest,
  load,
  makeWorkdir,
  startGateway,
  startPlainBackend,
  stopAll,
} from "./support/processes.js";

after(stopAll);

/** The sum of a metric's series whose labels match `labels`. */
function sumOf(text: string, name: string, labels: RegExp): number {
  let sum = 0;
  for (const line of text.split("\n")) {
    if (line.startsWith(`${name}{`) && labels.test(line))
      sum += Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return sum;
}

describe("ts-gateway serve with workers", () => {
  const work = makeWorkdir();
  let gateway: Child;
  let url = "";
  let config = "";
  let configText = "";

  const workersOf = async (n: number): Promise<Map<string, number>> => {
    const counts = new Map<string, number>();
    await load(n, 8, async (i) => {
      const res = await freshRequest(`${url}/v1/items/${i}`);
      assert.equal(res.status, 200);
      const worker = String(res.headers["x-gateway-worker"]);
      counts.set(worker, (counts.get(worker) ?? 0) + 1);
    });
    return counts;
  };

  before(async () => {
    buildDescriptorSet(join(work.dir, "api.binpb"));
    work.write("api.yaml", "type: google.api.Service\nconfig_version: 3\n");
    const backend = await startPlainBackend("b1");
    const port = await freePort();
    configText = `server:
  listeners: [{ host: 127.0.0.1, port: ${port} }]
  workerHeader: true
workers: 2
shutdown: { drainDelayMs: 3000, gracePeriodMs: 30000 }
backends:
  inventory:
    target: ["127.0.0.1:${backend.port}"]
services:
  - descriptorSet: api.binpb
    apiConfiguration: api.yaml
    backend: inventory
`;
    config = work.write("gateway.yaml", configText);
    gateway = await startGateway(config);
    assert.match(gateway.output(), /listening http1 127\.0\.0\.1:\d+ \(2 workers\)/);
    url = `http://127.0.0.1:${port}`;
  });

  it("both workers serve requests", async () => {
    // Workers start one after the other: wait until both answered.
    let counts = new Map<string, number>();
    for (let i = 0; i < 20 && counts.size < 2; i++) counts = await workersOf(100);
    assert.equal(counts.size, 2, `answers by worker: ${JSON.stringify([...counts])}`);
    // The sample in which the second worker first answered may have caught it still
    // warming up (loading modules on a busy machine): judge the share on fresh samples.
    const even = (c: Map<string, number>) => c.size === 2 && [...c.values()].every((n) => n >= 20);
    for (let i = 0; i < 5 && !even(counts); i++) counts = await workersOf(100);
    for (const [worker, n] of counts)
      assert.ok(n >= 20, `worker ${worker} served only ${n} of 100`);
  });

  it("/metrics answers with the sum over both workers, whichever worker is scraped", async () => {
    const scrape = async (): Promise<{ worker: string; text: string }> => {
      const res = await freshRequest(`${url}/metrics`);
      assert.equal(res.status, 200, res.body);
      return { worker: String(res.headers["x-gateway-worker"]), text: res.body };
    };
    /** Calls of the item routes, all series summed. */
    const items = (text: string): number =>
      sumOf(text, "grpc_gateway_requests_total", /route="\/v1\/items\//);
    const byWorker = (text: string): Map<string, number> => {
      const out = new Map<string, number>();
      for (const m of text.matchAll(
        /^ts_gateway_worker_requests_total\{worker="(\d+)"\} (\d+)$/gm,
      )) {
        out.set(m[1]!, Number(m[2]));
      }
      return out;
    };
    const before = await scrape();
    const n = 60;
    const served = await workersOf(n);
    assert.equal(served.size, 2, `answers by worker: ${JSON.stringify([...served])}`);
    // Scrape until both workers have answered one: each answer is the cluster's sum.
    const scrapedBy = new Set<string>();
    for (let i = 0; i < 40 && scrapedBy.size < 2; i++) {
      const after = await scrape();
      scrapedBy.add(after.worker);
      assert.equal(
        items(after.text) - items(before.text),
        n,
        `scraped from worker ${after.worker}`,
      );
      const perWorker = byWorker(after.text);
      for (const [worker, count] of served) {
        const grew = (perWorker.get(worker) ?? 0) - (byWorker(before.text).get(worker) ?? 0);
        assert.ok(grew >= count, `worker ${worker}: served ${count}, its counter grew by ${grew}`);
      }
    }
    assert.equal(scrapedBy.size, 2, "both workers answered a scrape");
  });

  it("a worker that dies is replaced", async () => {
    const before = [...(await workersOf(40)).keys()];
    const victim = Number(before[0]);
    process.kill(victim, "SIGKILL");
    let now = new Map<string, number>();
    // A new worker takes seconds to start on a loaded 2-core machine.
    const deadline = Date.now() + 45_000;
    while (Date.now() < deadline) {
      await sleep(250);
      try {
        now = await workersOf(40);
      } catch {
        continue; // a request on the dead worker's connection
      }
      if (now.size === 2 && !now.has(String(victim))) break;
    }
    assert.equal(now.size, 2);
    assert.ok(!now.has(String(victim)));
    assert.match(
      gateway.output(),
      new RegExp(`worker ${victim} exited \\(SIGKILL\\); starting a new one`),
    );
  });

  it("SIGHUP reloads routes in every worker under load, with no failed request", async () => {
    assert.equal((await fetch(`${url}/v1/items/1`, { method: "DELETE" })).status, 405);
    let stop = false;
    let failures = 0;
    let sent = 0;
    const loop = load(4, 4, async () => {
      while (!stop) {
        sent++;
        const res = await fetch(`${url}/v1/items/${sent}`).catch(() => undefined);
        if (res?.status !== 200) failures++;
        await res?.arrayBuffer();
      }
    });
    await sleep(300);
    work.write(
      "api.yaml",
      `type: google.api.Service
config_version: 3
http:
  rules:
    - selector: gateway.v1.InventoryService.DeleteItem
      delete: /v1/items/{id}
`,
    );
    gateway.process.kill("SIGHUP");
    // Both workers reload: every DELETE is served once they have.
    let served = 0;
    for (let i = 0; i < 80 && served < 20; i++) {
      const res = await fetch(`${url}/v1/items/1`, { method: "DELETE" });
      served = res.status === 200 ? served + 1 : 0;
      await res.arrayBuffer();
      await sleep(50);
    }
    stop = true;
    await loop;
    assert.equal(served, 20, gateway.output());
    assert.equal(failures, 0, `${failures} of ${sent} requests failed during the reload`);
  });

  it("SIGHUP with a broken config keeps the running one", async () => {
    work.write("gateway.yaml", configText.replace("workers: 2", "workers: many"));
    gateway.process.kill("SIGHUP");
    await gateway.waitFor(/config not reloaded:\n.*gateway\.yaml:4:\d+: workers:/);
    assert.equal((await fetch(`${url}/v1/items/1`)).status, 200);
    work.write("gateway.yaml", configText);
  });

  it("SIGTERM drains every worker: readiness 503, in-flight calls finish, exit 0", async () => {
    const slow = fetch(`${url}/v1/items/slow?delay_ms=1500`);
    await sleep(200);
    const t0 = Date.now();
    gateway.process.kill("SIGTERM");
    await sleep(300);
    // Both workers drain: every readiness probe answers 503 while requests are still served.
    for (let i = 0; i < 4; i++) {
      const ready = await freshRequest(`${url}/readyz`);
      assert.equal(ready.status, 503);
      assert.equal((await freshRequest(`${url}/v1/items/x`)).status, 200);
    }
    const res = await slow;
    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as { id: string }).id, "slow");
    assert.equal(await gateway.exited, 0);
    // The drain delay, then the drain ends as soon as the last connection is
    // done: nothing is in flight, so waiting out (most of) the 30 s grace
    // period would be a drain that does not notice it is finished.
    const took = Date.now() - t0;
    assert.ok(took >= 3000, `exit took ${took} ms, less than drainDelayMs`);
    assert.ok(took < 3000 + 15_000, `exit took ${took} ms: the drain waited for its grace period`);
  });
});
