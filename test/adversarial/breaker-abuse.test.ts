/**
 * Breaker abuse against a gateway child process (ha.v1 over createChannel with
 * the default circuit breaker) in front of three real grpc-js backend processes:
 * client-chosen deadlines and cancellations must not switch a backend off, and
 * a really failing endpoint is ejected alone, never beyond the ejection cap.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { request } from "node:http";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { type HaProcess, readyPort, spawnHaBackend } from "../support/ha-gateway.js";
import { eventually } from "../support/wait.js";

const gatewayEntry = fileURLToPath(new URL("../support/ha-gateway-process.ts", import.meta.url));
/** Bound on a process start: generous, for a loaded CI machine, but a bound. */
const START_TIMEOUT_MS = 60_000;

interface EndpointJson {
  address: string;
  state: string;
  ejected: boolean;
}

/** A gateway process over `backends`, killed by its PID after the test. */
class GatewayProcess {
  url = "";
  private constructor(readonly child: ChildProcess) {}

  static async start(backends: readonly HaProcess[]): Promise<GatewayProcess> {
    const child = spawn(process.execPath, ["--import", "tsx", gatewayEntry], {
      env: { ...process.env, BACKENDS: backends.map((b) => b.address).join(",") },
      stdio: ["ignore", "pipe", "inherit"],
    });
    const gateway = new GatewayProcess(child);
    try {
      gateway.url = `http://127.0.0.1:${await readyPort(child, "gateway", START_TIMEOUT_MS)}`;
      await eventually(
        async () => (await fetch(`${gateway.url}/readyz`)).status === 200,
        START_TIMEOUT_MS,
        "gateway ready",
      );
    } catch (error) {
      await gateway.stop();
      throw error;
    }
    return gateway;
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  async endpoints(): Promise<EndpointJson[]> {
    const body = (await (await fetch(`${this.url}/readyz`)).json()) as {
      backends: Record<string, { endpoints: EndpointJson[] }>;
    };
    return Object.values(body.backends).flatMap((b) => b.endpoints);
  }

  async stop(): Promise<void> {
    if (!this.alive || this.child.pid === undefined) return;
    const exited = once(this.child, "exit");
    process.kill(this.child.pid, "SIGKILL");
    await exited;
  }
}

/** GET `path` with extra headers; the status, or "reset" if the connection failed. */
function get(url: string, headers: Record<string, string> = {}): Promise<number | "reset"> {
  return new Promise((resolve) => {
    const req = request(url, { headers, timeout: 10_000 }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
      res.on("error", () => resolve("reset"));
    });
    req.on("error", () => resolve("reset"));
    req.on("timeout", () => req.destroy());
    req.end();
  });
}

/** A GET the client aborts after `afterMs`: the gateway sees a disconnect mid-call. */
function abandoned(url: string, afterMs: number): Promise<void> {
  return new Promise((resolve) => {
    const req = request(url);
    req.on("error", () => resolve());
    req.on("response", (res) => {
      res.resume();
      res.on("end", () => resolve());
      res.on("error", () => resolve());
    });
    req.on("close", () => resolve());
    req.end();
    setTimeout(() => req.destroy(), afterMs);
  });
}

/** Answers of `n` normal GETs /v1/whoami in sequence: replica id, or the failure. */
async function normalRequests(url: string, n: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const res = await fetch(`${url}/v1/whoami`);
    const text = await res.text();
    out.push(
      res.status === 200 ? (JSON.parse(text) as { id: string }).id : `${res.status} ${text}`,
    );
  }
  return out;
}

/** Spawns backends in parallel into `into`, so `after` kills those that started even if one did not. */
async function spawnAll(
  into: HaProcess[],
  specs: [id: string, env: Record<string, string>][],
): Promise<void> {
  const results = await Promise.allSettled(
    specs.map(([id, env]) => spawnHaBackend(id, { env, timeoutMs: START_TIMEOUT_MS })),
  );
  for (const r of results) if (r.status === "fulfilled") into.push(r.value);
  const failed = results.find((r) => r.status === "rejected");
  if (failed !== undefined) throw failed.reason;
}

async function stopAll(gateway: GatewayProcess | undefined, backends: HaProcess[]): Promise<void> {
  await gateway?.stop();
  await Promise.all(backends.map((b) => b.stop("SIGKILL")));
}

describe("breaker abuse: client deadlines and cancellations", () => {
  const backends: HaProcess[] = [];
  let gateway: GatewayProcess | undefined;
  before(async () => {
    await spawnAll(backends, [
      ["r1", { SLOW_MS: "300" }],
      ["r2", { SLOW_MS: "300" }],
      ["r3", { SLOW_MS: "300" }],
    ]);
    gateway = await GatewayProcess.start(backends);
  });
  after(() => stopAll(gateway, backends));

  const bursts: { name: string; send: (url: string) => Promise<unknown>; allowed: number[] }[] = [
    ...["1n", "1u", "1m", "2m"].map((timeout) => ({
      name: `Grpc-Timeout: ${timeout}`,
      send: (url: string) => get(`${url}/v1/whoami`, { "Grpc-Timeout": timeout }),
      allowed: [200, 504],
    })),
    {
      name: "Grpc-Timeout: 20m on a slow method",
      send: (url: string) => get(`${url}/v1/whoami:slow`, { "Grpc-Timeout": "20m" }),
      allowed: [504],
    },
    {
      name: "client disconnects mid-call",
      send: (url: string) => abandoned(`${url}/v1/whoami:slow`, 20),
      allowed: [],
    },
  ];
  for (const burst of bursts) {
    it(`${burst.name} ×150 leaves every endpoint serving`, async () => {
      assert.ok(gateway);
      const { url } = gateway;
      const results = await Promise.all(Array.from({ length: 150 }, () => burst.send(url)));
      if (burst.allowed.length > 0) {
        const unexpected = results.filter((s) => !burst.allowed.includes(s as number));
        assert.deepEqual(unexpected, [], `statuses other than ${burst.allowed}`);
      }
      const answers = await normalRequests(url, 30);
      assert.deepEqual(
        answers.filter((a) => !/^r\d$/.test(a)),
        [],
        "normal requests after the burst",
      );
      assert.deepEqual(new Set(answers), new Set(["r1", "r2", "r3"]), "all replicas in rotation");
      assert.deepEqual(
        (await gateway.endpoints()).filter((e) => e.ejected),
        [],
        "no endpoint ejected",
      );
      assert.ok(gateway.alive, "gateway process alive");
      assert.equal(await get(`${url}/livez`), 200);
    });
  }
});

describe("breaker: a failing endpoint is ejected alone, a killed one leaves, the cap holds", () => {
  const backends: HaProcess[] = [];
  let gateway: GatewayProcess | undefined;
  before(async () => {
    await spawnAll(backends, [
      ["ok1", {}],
      ["bad", { FAIL_ALL: "1" }],
      ["ok2", {}],
    ]);
    gateway = await GatewayProcess.start(backends);
  });
  after(() => stopAll(gateway, backends));

  it("ejects the failing replica, keeps serving through a SIGKILL, never ejects more than 1 of 3", async () => {
    assert.ok(gateway);
    const g = gateway;
    const [, bad, ok2] = backends as [HaProcess, HaProcess, HaProcess];
    let mostEjected = 0;
    const failures: string[] = [];
    const answered = new Map<string, number>();
    const round = async (n: number) => {
      for (const answer of await normalRequests(g.url, n)) {
        if (/^(ok1|ok2|bad)$/.test(answer)) answered.set(answer, (answered.get(answer) ?? 0) + 1);
        else failures.push(answer);
      }
      const ejected = (await g.endpoints()).filter((e) => e.ejected);
      mostEjected = Math.max(mostEjected, ejected.length);
      return ejected.map((e) => e.address);
    };

    // The failing replica's UNAVAILABLE answers are retried on the others and eject it.
    let ejected: string[] = [];
    for (let i = 0; i < 10 && !ejected.includes(bad.address); i++) ejected = await round(10);
    assert.deepEqual(ejected, [bad.address], "the failing replica is ejected");
    answered.clear();
    await round(30);
    assert.equal(answered.get("bad"), undefined, "an ejected replica answers nothing");
    assert.ok(
      (answered.get("ok1") ?? 0) > 0 && (answered.get("ok2") ?? 0) > 0,
      "both others serve",
    );

    // SIGKILL a healthy one under load: the last replica serves alone, the cap (1 of 3) holds.
    const before = failures.length;
    const load = round(60);
    await new Promise((r) => setTimeout(r, 50));
    await ok2.stop("SIGKILL");
    await load;
    // gRPC retries a call only until its answer started (grpc-js commits it on
    // the response headers): the one request in flight (they go one at a time)
    // fails if the replica died in the middle of sending its answer.
    const atKill = failures.splice(before);
    assert.ok(
      atKill.length <= 1 &&
        atKill.every((f) => f.startsWith('503 {"code":14,"message":"Connection dropped"')),
      `at the SIGKILL at most the request in flight fails: ${atKill.join("; ")}`,
    );
    answered.clear();
    await round(40);
    assert.deepEqual([...answered.keys()], ["ok1"], "only the live, non-failing replica answers");
    const states = await g.endpoints();
    assert.notEqual(states.find((e) => e.address === ok2.address)?.state, "READY");
    assert.ok(mostEjected <= 1, `at most 1 of 3 endpoints ejected, saw ${mostEjected}`);
    assert.deepEqual(failures, [], "no failed request");
    assert.ok(g.alive, "gateway process alive");
  });
});
