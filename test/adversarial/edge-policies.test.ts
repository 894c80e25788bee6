// Issue 21, items 4-11: the edge policies of `ts-gateway serve` attacked from
// outside, one child process (heap capped at 256 MiB) in front of a plain
// grpc-js backend, with JWT auth against a JWKS served here (which can answer,
// fail with HTTP 500 or reset the connection) and a rate limit keyed by a
// header (windows of an hour, so no state expires during the flood). Checked:
// probes and scrapes pass auth and rate limits (4), 20 000 distinct 8 KB keys
// leave the process alive and its memory bounded (5; before: +220 MiB here,
// +347 MiB and a heap-limit death in the issue), `Grpc-Metadata-Authorization`
// neither fails the call nor reaches the backend unchecked (6), refusals and
// Node's parser refusals are counted (7), a key set that cannot be fetched is a
// 503 and random `kid`s do not drive the fetch rate (8), `exp` is required
// (11), `cors: "*"` with credentials is refused (9), a reload to a backend that
// does not resolve is refused (10), and the rate limit's log line says
// "rate limit:" once (11).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { exportJWK, generateKeyPair, type JWTPayload, SignJWT } from "jose";
import type { GatewayConfig } from "../../packages/gateway/src/config/config-schema.js";
import { edgePolicies } from "../../packages/gateway/src/policies/edge-policies.js";
import {
  buildDescriptorSet,
  type Child,
  load,
  makeWorkdir,
  repoRoot,
  runGateway,
  startGateway,
  startPlainBackend,
  stopAll,
} from "../gateway/support/processes.js";
import { startPipelineGateway } from "../pipeline/pipeline-fixture.js";
import { http } from "../policy/policy-support.js";
import { parseHttp, rawConnect } from "../support/raw-socket.js";
import { eventually, freePort } from "../support/wait.js";

after(stopAll);

const work = makeWorkdir();
buildDescriptorSet(join(work.dir, "api.binpb"));

/** How the test's JWKS endpoint behaves now. */
type JwksMode = "ok" | "500" | "reset";

/** Resident memory of a process, in MiB. */
function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  assert.ok(m !== null);
  return Number(m[1]) / 1024;
}

/**
 * Sends `count` requests over `connections` keep-alive connections, pipelined
 * in batches (a node:http client would cost more than the gateway under
 * test); resolves with the statuses in order of arrival.
 */
async function pipelined(
  port: number,
  count: number,
  connections: number,
  request: (i: number) => string,
): Promise<number[]> {
  const statuses: number[] = [];
  let next = 0;
  const batch = 50;
  const worker = async () => {
    const conn = await rawConnect(port);
    let answered = 0;
    let carry = "";
    let wake: (() => void) | undefined;
    conn.socket.on("data", (chunk: Buffer) => {
      const text = carry + chunk.toString("latin1");
      const status = /HTTP\/1\.1 (\d{3}) /g;
      let end = 0;
      for (let m = status.exec(text); m !== null; m = status.exec(text)) {
        statuses.push(Number(m[1]));
        answered++;
        end = status.lastIndex;
      }
      carry = text.slice(Math.max(end, text.length - 16));
      wake?.();
    });
    try {
      let sent = 0;
      while (next < count) {
        const n = Math.min(batch, count - next);
        const requests: string[] = [];
        for (let k = 0; k < n; k++) requests.push(request(next++));
        conn.socket.write(requests.join(""));
        sent += n;
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(
            () => reject(new Error(`${answered} of ${sent} pipelined requests answered`)),
            60_000,
          );
          wake = () => {
            if (answered < sent) return;
            clearTimeout(timer);
            resolve();
          };
          wake();
        });
      }
    } finally {
      conn.socket.destroy();
    }
  };
  await Promise.all(Array.from({ length: connections }, worker));
  return statuses;
}

describe("edge policies of ts-gateway serve under attack (child process)", () => {
  let gateway: Child;
  let url = "";
  let config = "";
  let backendPort = 0;
  let jwks: Server;
  let jwksMode: JwksMode = "reset";
  let jwksFetches = 0;
  const cooldownMs = 3000;
  let sign: (claims: JWTPayload, kid?: string, exp?: boolean) => Promise<string>;
  let clients = 0;
  /** A unique rate-limit key per API call, so that budgets never interfere. */
  const client = () => ({ "x-client": `c${++clients}` });

  const yaml = (backendTarget: string, jwksPort: number, port: number) => `server:
  listeners: [{ host: 127.0.0.1, port: ${port} }]
metrics: {}
auth:
  jwksUrl: http://127.0.0.1:${jwksPort}/jwks.json
  algorithms: [ES256]
  jwksFetch: { cooldownMs: ${cooldownMs}, timeoutMs: 2000 }
  cache: false
  routes:
    - match: { selector: gateway.v1.InventoryService.GetItem }
      options: { optional: true }
rateLimit:
  points: 3
  durationSec: 3600
  key: { header: x-client }
docs:
  spec: openapi.json
backends:
  inventory:
    target: ${backendTarget}
services:
  - descriptorSet: api.binpb
    backend: inventory
`;

  before(async () => {
    const pair = await generateKeyPair("ES256");
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: "k1", alg: "ES256", use: "sig" };
    sign = (claims, kid = "k1", exp = true) => {
      const jwt = new SignJWT(claims).setProtectedHeader({ alg: "ES256", kid }).setSubject("alice");
      return (exp ? jwt.setExpirationTime("5m") : jwt).sign(pair.privateKey);
    };
    jwks = createServer((req, res) => {
      jwksFetches++;
      if (jwksMode === "reset") {
        req.socket.resetAndDestroy();
        return;
      }
      if (jwksMode === "500") {
        res.writeHead(500).end("identity provider down");
        return;
      }
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((resolve) => jwks.listen(0, "127.0.0.1", resolve));
    work.write(
      "openapi.json",
      JSON.stringify({ openapi: "3.0.3", info: { title: "Inventory", version: "1" }, paths: {} }),
    );
    const backend = await startPlainBackend("b1");
    backendPort = backend.port;
    const port = await freePort();
    const jwksPort = (jwks.address() as AddressInfo).port;
    config = work.write("edge.yaml", yaml(`["127.0.0.1:${backendPort}"]`, jwksPort, port));
    work.write("edge-unresolved.yaml", yaml("dns:///nonexistent.invalid:1", jwksPort, port));
    gateway = await startGateway(config, [], { NODE_OPTIONS: "--max-old-space-size=256" });
    url = `http://127.0.0.1:${port}`;
  });
  after(async () => {
    jwks?.closeAllConnections();
    await new Promise((resolve) => jwks?.close(resolve));
  });

  const create = (token: string) =>
    http(`${url}/v1/items`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        authorization: `Bearer ${token}`,
        ...client(),
      },
      body: JSON.stringify({ id: "a", name: "A" }),
    });

  test("8: JWKS resets connections: a valid token is a 503, never 401", async () => {
    const a = await create(await sign({}));
    assert.equal(a.status, 503, a.body);
    assert.equal((a.json as { code: number }).code, 14);
  });

  test("8: 500 tokens with random kids while the JWKS is down: fetches bounded by the cooldown", async () => {
    const before = jwksFetches;
    const started = Date.now();
    const statuses = await load(500, 16, async () => {
      const kid = Math.random().toString(36).slice(2);
      return (await create(await sign({}, kid))).status;
    });
    const elapsed = Date.now() - started;
    const fetches = jwksFetches - before;
    console.log(`random kids: ${fetches} JWKS fetches for 500 calls in ${elapsed} ms`);
    assert.deepEqual([...new Set(statuses)], [503]);
    // Before: one fetch per unknown kid (102 in the measurement).
    assert.ok(
      fetches <= 1 + Math.ceil(elapsed / cooldownMs),
      `${fetches} fetches in ${elapsed} ms with a ${cooldownMs} ms cooldown`,
    );
  });

  test("8: JWKS answers HTTP 500: a valid token is a 503, not 401 malformed token", async () => {
    jwksMode = "500";
    const before = jwksFetches;
    const token = await sign({});
    let last = await create(token);
    // The next fetch happens once the cooldown is over.
    await eventually(
      async () => {
        last = await create(token);
        return jwksFetches > before;
      },
      cooldownMs * 4,
      "a JWKS fetch",
    );
    assert.equal(last.status, 503, last.body);
    assert.doesNotMatch(last.body, /malformed/);
  });

  test("8: once the JWKS answers, tokens verify again (after the cooldown)", async () => {
    jwksMode = "ok";
    const token = await sign({});
    await eventually(async () => (await create(token)).status === 200, cooldownMs * 4, "a 200");
  });

  test("11: a token without exp is refused (requireExp, default on)", async () => {
    const a = await create(await sign({}, "k1", false));
    assert.equal(a.status, 401, a.body);
    assert.match(
      a.headers["www-authenticate"] ?? "",
      /missing \\"exp\\" claim|missing "exp" claim/,
    );
  });

  const metadataOf = async (key: string, headers: Record<string, string>) => {
    const a = await http(`${url}/v1/items/metadata:${key}`, {
      headers: { ...client(), ...headers },
    });
    assert.equal(a.status, 200, a.body);
    return JSON.parse((a.json as { name: string }).name) as string[];
  };

  test("6: Grpc-Metadata-Authorization beside a valid Authorization: 200, the checked one reaches the backend", async () => {
    const token = await sign({});
    const values = await metadataOf("authorization", {
      authorization: `Bearer ${token}`,
      "grpc-metadata-authorization": "Bearer forged",
    });
    assert.deepEqual(values, [`Bearer ${token}`]);
  });

  test("6: on an optional-auth route no unchecked authorization reaches the backend", async () => {
    const rows: Record<string, string>[] = [
      { "grpc-metadata-authorization": "Bearer forged" },
      { authorization: "Basic YWRtaW46YWRtaW4=" },
    ];
    for (const headers of rows) assert.deepEqual(await metadataOf("authorization", headers), []);
  });

  test("6: Grpc-Metadata-X-Forwarded-For cannot forge the gateway's x-forwarded-for", async () => {
    const values = await metadataOf("x-forwarded-for", {
      "grpc-metadata-x-forwarded-for": "6.6.6.6",
    });
    assert.deepEqual(values, ["127.0.0.1"]);
  });

  test("4: probes, scrapes and docs need no token and spend no rate-limit budget", async () => {
    const refused = await http(`${url}/v1/items`, { method: "POST", body: "{}" });
    assert.equal(refused.status, 401, "auth is on for the API");
    for (const path of ["/healthz", "/readyz", "/livez", "/metrics", "/docs", "/openapi.json"]) {
      for (let i = 0; i < 5; i++) {
        const a = await http(`${url}${path}`, { headers: { "x-client": "probe" } });
        // /healthz: 503 naming the missing grpc.health.v1 the plain backend lacks (issue 23),
        // but no 401, no 429.
        const expected = path === "/healthz" ? 503 : 200;
        assert.equal(a.status, expected, `${path}: ${a.status} ${a.body.slice(0, 200)}`);
        assert.equal(a.headers.ratelimit, undefined, path);
      }
    }
  });

  test("7: refusals and Node's own parser refusals (400, 431) are counted in /metrics", async () => {
    for (const request of [
      "GET /v1/items/a HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n",
      `GET /v1/items/a HTTP/1.1\r\nHost: x\r\nX-Big: ${"b".repeat(20_000)}\r\n\r\n`,
    ]) {
      const socket = await rawConnect(Number(new URL(url).port));
      socket.socket.write(request);
      assert.ok(await socket.closed(10_000), "the connection is closed after the answer");
      const answer = parseHttp(socket.received());
      assert.ok(answer !== undefined && [400, 431].includes(answer.status), String(answer?.status));
    }
    const metrics = (await http(`${url}/metrics`)).body;
    for (const status of ["400", "431", "401", "503"]) {
      assert.match(
        metrics,
        new RegExp(`grpc_gateway_requests_total\\{[^}]*http_status="${status}"`),
        status,
      );
    }
  });

  test("5: 20 000 distinct 8 KB rate-limit keys: alive, memory bounded", async () => {
    const before = rssMiB(gateway.pid);
    const filler = "k".repeat(8192 - 8);
    const statuses = await pipelined(
      Number(new URL(url).port),
      20_000,
      8,
      (i) =>
        `GET /v1/items/a HTTP/1.1\r\nHost: x\r\nX-Client: ${String(i).padStart(8, "0")}${filler}\r\n\r\n`,
    );
    assert.deepEqual([...new Set(statuses)], [200]);
    const growth = rssMiB(gateway.pid) - before;
    console.log(`20 000 keys of 8 KB: RSS ${before.toFixed(0)} MiB + ${growth.toFixed(0)} MiB`);
    assert.equal(gateway.process.exitCode, null, gateway.output().slice(-2000));
    // Before: +347 MiB, then "Reached heap limit" at 256 MiB of heap.
    assert.ok(growth < 128, `RSS grew ${growth.toFixed(0)} MiB`);
    // The first key still has its state when the zone is not full: it is counted.
    assert.equal((await http(`${url}/v1/items/a`, { headers: client() })).status, 200);
  });

  test("10: SIGHUP to a config whose backend does not resolve is refused; the old backends serve on", async () => {
    const unresolved = join(work.dir, "edge-unresolved.yaml");
    const original = readFileSync(config, "utf8");
    work.write("edge.yaml", readFileSync(unresolved, "utf8"));
    const logged = gateway.output().length;
    gateway.process.kill("SIGHUP");
    await eventually(
      async () =>
        /config not reloaded[\s\S]*nonexistent\.invalid does not resolve/.test(
          gateway.output().slice(logged),
        ),
      15_000,
      "the refused reload's log line",
    );
    work.write("edge.yaml", original);
    const answers = await load(
      50,
      8,
      async () => (await http(`${url}/v1/items/a`, { headers: client() })).status,
    );
    assert.deepEqual([...new Set(answers)], [200]);
  });

  test("the gateway is alive and answers", async () => {
    assert.equal(gateway.process.exitCode, null, gateway.output().slice(-2000));
    assert.equal((await http(`${url}/livez`)).status, 200);
  });
});

describe("cors: origins * with credentials is refused (9)", () => {
  test("ts-gateway check and serve refuse it with a clear error", () => {
    const file = work.write(
      "cors.yaml",
      `server:
  listeners: [{ host: 127.0.0.1, port: 1 }]
cors:
  origins: "*"
  credentials: true
backends:
  inventory:
    target: ["127.0.0.1:1"]
services:
  - descriptorSet: api.binpb
    backend: inventory
`,
    );
    for (const command of ["check", "serve"]) {
      const run = runGateway([command, file]);
      assert.notEqual(run.status, 0, `${command} accepted it`);
      assert.match(run.stderr + run.stdout, /origins "\*" with credentials/, command);
    }
  });
});

describe("docs/edge-policy-hardening.md", () => {
  test("its gateway.yaml block passes ts-gateway check", () => {
    const page = readFileSync(join(repoRoot, "docs/edge-policy-hardening.md"), "utf8");
    const block = /```yaml\n([\s\S]*?)```/.exec(page)?.[1];
    assert.ok(block !== undefined);
    const file = work.write(
      "docs.yaml",
      `server:
  listeners: [{ host: 127.0.0.1, port: 1 }]
${block}backends:
  inventory:
    target: ["127.0.0.1:1"]
services:
  - descriptorSet: api.binpb
    backend: inventory
`,
    );
    const run = runGateway(["check", file]);
    assert.equal(run.status, 0, run.stderr);
  });
});

describe("the rate limit's log lines (11)", () => {
  test("Redis unreachable: one line, prefixed once, with the error", async () => {
    const lines: string[] = [];
    const port = await freePort(); // nothing listens there
    const policies = await edgePolicies(
      {
        rateLimit: { points: 5, durationSec: 60, redis: { url: `redis://127.0.0.1:${port}` } },
      } as GatewayConfig,
      (p) => p,
      (line) => lines.push(line),
    );
    const g = await startPipelineGateway("local", policies.middlewares);
    try {
      for (let i = 0; i < 3; i++) assert.equal((await http(`${g.url}/v1/echo/x`)).status, 200);
    } finally {
      await g.close();
      policies.close();
    }
    const unavailable = lines.filter((l) => l.includes("Redis unavailable"));
    assert.equal(unavailable.length, 1, lines.join("\n"));
    assert.match(unavailable[0] ?? "", /^rate limit: Redis unavailable, failing open/);
    assert.ok(!lines.some((l) => l.includes("rate limit: rate limit:")), lines.join("\n"));
  });
});
