// Rate limits (rate-limiter-flexible): in memory on one node, by address
// (X-Forwarded-For only from trusted proxies), subject, header or function,
// mux-wide or per route, with burst; 429 answers with Retry-After, the
// RateLimit headers and RetryInfo + QuotaFailure. Then a cluster: two gateway
// processes sharing one limit through a real Redis, Redis killed (fail open
// and logged, or fail closed) and brought back.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { after, before, describe, test } from "node:test";
import { rateLimit } from "@ts-gateway/runtime/rate-limit";
import { modes, type PipelineGateway, startPipelineGateway } from "../pipeline/pipeline-fixture.js";
import { eventually, freePort } from "../support/wait.js";
import { detailTypes, http, ws } from "./policy-support.js";
import { RedisServer, redis } from "./redis-server.js";

for (const mode of modes) {
  describe(`rateLimit in memory (${mode})`, () => {
    let g: PipelineGateway;
    before(async () => {
      g = await startPipelineGateway(mode, [
        rateLimit({
          points: 3,
          durationSec: 60,
          key: { header: "x-tenant" },
          trustedProxies: ["127.0.0.0/8"],
          routes: [
            { match: { selector: "errors.v1.ErrorService.Sleep" }, options: false },
            {
              match: { template: "/v1/things" },
              options: { name: "writes", points: 1, key: "ip" },
            },
            {
              match: { selector: "streaming.v1.StreamService.*" },
              options: { name: "streams", points: 1, burst: { points: 1, durationSec: 60 } },
            },
          ],
        }),
      ]);
    });
    after(() => g.close());

    test("a key's budget: three calls, then 429 with the standard headers and details", async () => {
      const statuses: number[] = [];
      let last: Awaited<ReturnType<typeof http>> | undefined;
      for (let i = 0; i < 4; i++) {
        last = await http(`${g.url}/v1/echo/hi`, { headers: { "x-tenant": "a" } });
        statuses.push(last.status);
      }
      assert.deepEqual(statuses, [200, 200, 200, 429]);
      assert.ok(last !== undefined);
      assert.equal((last.json as { code: number }).code, 8);
      assert.match(last.headers["retry-after"] ?? "", /^[1-9][0-9]*$/);
      assert.equal(last.headers["ratelimit-policy"], '"default";q=3;w=60');
      assert.match(last.headers.ratelimit ?? "", /^"default";r=0;t=\d+$/);
      assert.deepEqual(detailTypes(last.json), [
        "type.googleapis.com/google.rpc.RetryInfo",
        "type.googleapis.com/google.rpc.QuotaFailure",
        "type.googleapis.com/google.rpc.ErrorInfo",
      ]);
      const other = await http(`${g.url}/v1/echo/hi`, { headers: { "x-tenant": "b" } });
      assert.equal(other.status, 200, "another key has its own budget");
      assert.equal(other.headers.ratelimit?.startsWith('"default";r=2;'), true);
    });

    test("the budget is mux-wide across routes; an exempt route is not counted", async () => {
      assert.equal(
        (await http(`${g.url}/v1/fail/5`, { headers: { "x-tenant": "c" } })).status,
        404,
      );
      assert.equal(
        (await http(`${g.url}/v1/echo/x`, { headers: { "x-tenant": "c" } })).status,
        200,
      );
      for (let i = 0; i < 3; i++) {
        assert.equal(
          (await http(`${g.url}/v1/sleep/0`, { headers: { "x-tenant": "c" } })).status,
          200,
        );
      }
      assert.equal(
        (await http(`${g.url}/v1/echo/x`, { headers: { "x-tenant": "c" } })).status,
        200,
      );
      assert.equal(
        (await http(`${g.url}/v1/echo/x`, { headers: { "x-tenant": "c" } })).status,
        429,
      );
    });

    test("by address: X-Forwarded-For from a trusted proxy names the client; a route of its own", async () => {
      const post = (xff: string) =>
        http(`${g.url}/v1/things`, {
          method: "POST",
          headers: { "x-forwarded-for": xff },
          body: '{"name":"t"}',
        });
      assert.equal((await post("203.0.113.1")).status, 201);
      assert.equal((await post("203.0.113.1")).status, 429);
      // The client's own entry on the left does not change the key: the proxy-appended one counts.
      assert.equal((await post("198.51.100.9, 203.0.113.1")).status, 429);
      assert.equal((await post("203.0.113.2")).status, 201);
    });

    test("burst on top of the sustained rate, WebSocket upgrades counted too", async () => {
      const h = { "x-tenant": "ws" };
      const a = await ws(`${g.wsUrl}/v1/count/1`, [], h);
      const b = await ws(`${g.wsUrl}/v1/count/1`, [], h);
      const c = await ws(`${g.wsUrl}/v1/count/1`, [], h);
      assert.deepEqual([a.status, b.status, c.status], [101, 101, 429]);
      assert.equal(c.headers["ratelimit-policy"], '"streams";q=1;w=60');
      assert.match(c.headers["retry-after"] ?? "", /^\d+$/);
    });
  });
}

describe("rateLimit configuration", () => {
  test("a limit without points is refused at the first call's route", async () => {
    const g = await startPipelineGateway("local", [rateLimit({ points: 0, durationSec: 1 })]);
    try {
      const a = await http(`${g.url}/v1/echo/x`);
      assert.equal(a.status, 500);
    } finally {
      await g.close();
    }
  });
});

/** A gateway node in a child process; its stderr lines are kept. */
class GatewayNode {
  readonly log: string[] = [];
  url = "";
  #child: ChildProcess | undefined;
  async start(redisPort: number, failure: "open" | "closed"): Promise<void> {
    const child = spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        new URL("./rate-limit-node.ts", import.meta.url).pathname,
        String(redisPort),
        failure,
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    this.#child = child;
    createInterface({ input: child.stderr! }).on("line", (line) => this.log.push(line));
    const first = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("gateway node did not start")), 30_000);
      createInterface({ input: child.stdout! }).once("line", (line) => {
        clearTimeout(timer);
        resolve(line);
      });
      child.once("exit", (code) =>
        reject(new Error(`gateway node exited with ${code}: ${this.log.join("\n")}`)),
      );
    });
    this.url = (JSON.parse(first) as { url: string }).url;
  }
  async stop(): Promise<void> {
    const child = this.#child;
    if (child === undefined || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
    await exited;
    clearTimeout(timer);
  }
}

describe("rateLimit shared through Redis by two gateway processes", { skip: redis.skip }, () => {
  let redis: RedisServer;
  const open = [new GatewayNode(), new GatewayNode()];
  const closed = new GatewayNode();
  before(async () => {
    redis = new RedisServer(await freePort());
    await redis.start();
    await Promise.all([
      ...open.map((n) => n.start(redis.port, "open")),
      closed.start(redis.port, "closed"),
    ]);
  });
  after(async () => {
    await Promise.all([...open.map((n) => n.stop()), closed.stop()]);
    await redis.stop();
  });

  const call = (node: GatewayNode, tenant: string) =>
    http(`${node.url}/v1/echo/x`, { headers: { "x-tenant": tenant } }).then((a) => a.status);

  test("together the two nodes admit no more than the limit", async () => {
    const statuses = await Promise.all(
      Array.from({ length: 30 }, (_, i) => call(open[i % 2] as GatewayNode, "shared")),
    );
    assert.equal(statuses.filter((s) => s === 200).length, 10, statuses.join(","));
    assert.equal(statuses.filter((s) => s === 429).length, 20);
  });

  test("Redis gone: fail open counts in memory and logs it, fail closed answers 503; both recover", async () => {
    await redis.stop();
    const [a, b] = open as [GatewayNode, GatewayNode];
    await eventually(async () => (await call(closed, "t1")) === 503, 5000, "fail closed: 503");
    // Failing open: each node counts its own budget in memory.
    const statuses = [];
    for (let i = 0; i < 12; i++) statuses.push(await call(a, "t2"));
    assert.equal(statuses.filter((s) => s === 200).length, 10, statuses.join(","));
    assert.equal(await call(b, "t2"), 200, "the other node has its own in-memory budget");
    assert.ok(
      a.log.some((l) => l.includes("Redis unavailable, failing open")),
      a.log.join("\n"),
    );
    assert.ok(
      closed.log.some((l) => l.includes("failing closed")),
      closed.log.join("\n"),
    );

    await redis.start();
    await eventually(async () => (await call(closed, "t3")) === 200, 10_000, "Redis back: 200");
    await eventually(
      async () => a.log.some((l) => l.includes("Redis is back")) || (await call(a, "t4")) === 0,
      5000,
      "the open node back on Redis",
    );
    // Shared again: a fresh key's budget is one for both nodes.
    const after = await Promise.all(
      Array.from({ length: 14 }, (_, i) => call(open[i % 2] as GatewayNode, "t5")),
    );
    assert.equal(after.filter((s) => s === 200).length, 10, after.join(","));
  });
});
