/**
 * The config's observability, limits and edge-policy sections take effect in
 * a real `ts-gateway serve` child process in front of a plain grpc-js
 * backend: metrics at their configured path, the access log and traces
 * written, CORS preflights, gzip, 413 over `maxRequestBytes`, JWT auth (401,
 * 403 by a route's scopes), rate limits by route (429) and shared between two
 * gateway processes through a real redis-server, deprecation headers, the
 * docs page, and a connection cap.
 */
import assert from "node:assert/strict";
import { connect } from "node:net";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { gunzipSync } from "node:zlib";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { RedisServer, redis } from "../policy/redis-server.js";
import { freePort } from "../support/wait.js";
import {
  buildDescriptorSet,
  type Child,
  makeWorkdir,
  repoRoot,
  runGateway,
  startGateway,
  startPlainBackend,
  stopAll,
} from "./support/processes.js";

after(stopAll);

const work = makeWorkdir();
buildDescriptorSet(join(work.dir, "api.binpb"));

const services = (port: number) => `backends:
  inventory:
    target: ["127.0.0.1:${port}"]
services:
  - descriptorSet: api.binpb
    backend: inventory
`;

describe("config sections through ts-gateway serve", () => {
  let gateway: Child;
  let url = "";
  let sign: (claims: Record<string, unknown>) => Promise<string>;

  before(async () => {
    const { publicKey, privateKey } = await generateKeyPair("ES256");
    const jwk = { ...(await exportJWK(publicKey)), kid: "k1", alg: "ES256", use: "sig" };
    work.write("jwks.json", JSON.stringify({ keys: [jwk] }));
    sign = (claims) =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: "ES256", kid: "k1" })
        .setIssuer("https://issuer.test")
        .setAudience("inventory")
        .setSubject("alice")
        .setExpirationTime("5m")
        .sign(privateKey);
    work.write(
      "openapi.json",
      JSON.stringify({
        openapi: "3.0.3",
        info: { title: "Inventory API", version: "1" },
        paths: {},
      }),
    );
    const backend = await startPlainBackend("b1");
    const port = await freePort();
    const config = work.write(
      "sections.yaml",
      `server:
  listeners: [{ host: 127.0.0.1, port: ${port} }]
  maxConnections: 20
  bodyIdleTimeoutMs: 500
limits:
  maxRequestBytes: 1024
metrics:
  path: /prom
accessLog:
  level: info
  headers: [user-agent]
tracing: {}
cors:
  origins: [https://app.example]
  routes:
    - match: { selector: gateway.v1.InventoryService.GetItem }
      options: { origins: [https://other.example], maxAgeSec: 60 }
compression:
  encodings: [gzip]
  thresholdBytes: 0
  routes:
    - match: { selector: gateway.v1.InventoryService.CreateItem }
      options: false
auth:
  jwksFile: jwks.json
  algorithms: [ES256]
  issuer: https://issuer.test
  audience: inventory
  optional: true
  routes:
    - match: { selector: gateway.v1.InventoryService.CreateItem }
      options: { optional: false, scopes: [items.write] }
rateLimit:
  points: 10000
  durationSec: 60
  webSocketMessages: { points: 100, durationSec: 1, per: connection }
  routes:
    - match: { template: "/v1/items:watch" }
      options: { name: watch, points: 2 }
deprecation:
  routes:
    - match: { selector: gateway.v1.InventoryService.GetItem }
      options: { deprecated: true, sunset: "2027-06-30", link: "https://docs.example/v2" }
docs:
  spec: openapi.json
${services(backend.port)}`,
    );
    gateway = await startGateway(config, [], {
      NODE_OPTIONS: `--import ${join(repoRoot, "test/gateway/support/otel-console.mjs")}`,
    });
    url = `http://127.0.0.1:${port}`;
  });

  const item = (token?: string) =>
    fetch(`${url}/v1/items`, {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        ...(token === undefined ? {} : { Authorization: `Bearer ${token}` }),
      },
      body: JSON.stringify({ id: "a", name: "A" }),
    });

  it("auth: a route's scopes are required, other routes take calls without a token", async () => {
    const cases: { name: string; token: () => Promise<string | undefined>; status: number }[] = [
      { name: "no token", token: async () => undefined, status: 401 },
      { name: "a forged token", token: async () => "e30.e30.c2ln", status: 401 },
      {
        name: "a token without the scope",
        token: () => sign({ scope: "items.read" }),
        status: 403,
      },
      { name: "a token with the scope", token: () => sign({ scope: "items.write" }), status: 200 },
    ];
    for (const c of cases) {
      const res = await item(await c.token());
      assert.equal(res.status, c.status, `${c.name}: ${await res.text()}`);
      if (c.status === 401) assert.match(res.headers.get("www-authenticate") ?? "", /^Bearer/);
    }
    assert.equal((await fetch(`${url}/v1/items/1`)).status, 200);
  });

  it("limits: a body over maxRequestBytes is a 413 with a google.rpc.Status", async () => {
    const res = await fetch(`${url}/v1/items`, {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        Authorization: `Bearer ${await sign({ scope: "items.write" })}`,
      },
      body: JSON.stringify({ id: "big", name: "x".repeat(2000) }),
    });
    assert.equal(res.status, 413);
    assert.equal(((await res.json()) as { code: number }).code, 8);
  });

  it("cors: an allowed origin's preflight is answered, another origin's refused", async () => {
    const preflight = (origin: string) =>
      fetch(`${url}/v1/items`, {
        method: "OPTIONS",
        headers: { Origin: origin, "Access-Control-Request-Method": "POST" },
      });
    const ok = await preflight("https://app.example");
    assert.equal(ok.status, 204);
    assert.equal(ok.headers.get("access-control-allow-origin"), "https://app.example");
    assert.match(ok.headers.get("access-control-allow-methods") ?? "", /POST/);
    assert.equal((await preflight("https://evil.example")).status, 403);
  });

  it("cors and compression per route: a route rule replaces the section's policy", async () => {
    const preflight = (origin: string) =>
      fetch(`${url}/v1/items/1`, {
        method: "OPTIONS",
        headers: { Origin: origin, "Access-Control-Request-Method": "GET" },
      });
    const other = await preflight("https://other.example");
    assert.equal(other.status, 204);
    assert.equal(other.headers.get("access-control-allow-origin"), "https://other.example");
    assert.equal(other.headers.get("access-control-max-age"), "60");
    assert.equal((await preflight("https://app.example")).status, 403);

    // CreateItem's rule turns compression off; GetItem (above) is gzipped.
    const token = await sign({ scope: "items.write" });
    const encoding = await new Promise<unknown>((resolve, reject) => {
      import("node:http").then(({ request }) => {
        const req = request(
          `${url}/v1/items`,
          {
            method: "POST",
            headers: {
              "Accept-Encoding": "gzip",
              "Content-Type": "application/json",
              Authorization: `Bearer ${token}`,
            },
          },
          (r) => {
            r.resume();
            r.on("end", () => resolve([r.statusCode, r.headers["content-encoding"]]));
            r.on("error", reject);
          },
        );
        req.on("error", reject);
        req.end(JSON.stringify({ id: "plain", name: "P" }));
      }, reject);
    });
    assert.deepEqual(encoding, [200, undefined]);
  });

  it("compression and deprecation: gzip by Accept-Encoding, Sunset on the deprecated route", async () => {
    const res = await new Promise<{ headers: Record<string, unknown>; body: Buffer }>(
      (resolve, reject) => {
        // fetch would decode the body: read the bytes as sent.
        import("node:http").then(({ get }) => {
          get(`${url}/v1/items/7`, { headers: { "Accept-Encoding": "gzip" } }, (r) => {
            const chunks: Buffer[] = [];
            r.on("data", (c: Buffer) => chunks.push(c));
            r.on("end", () => resolve({ headers: r.headers, body: Buffer.concat(chunks) }));
            r.on("error", reject);
          }).on("error", reject);
        }, reject);
      },
    );
    assert.equal(res.headers["content-encoding"], "gzip");
    assert.equal((JSON.parse(gunzipSync(res.body).toString()) as { id: string }).id, "7");
    assert.equal(res.headers.sunset, "Wed, 30 Jun 2027 00:00:00 GMT");
    assert.match(String(res.headers.link), /<https:\/\/docs\.example\/v2>; rel="deprecation"/);
  });

  it("rateLimit: a route rule's budget runs out (429), the default budget does not", async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await fetch(`${url}/v1/items:watch?count=1&interval_ms=1`);
      statuses.push(res.status);
      if (i === 0) assert.match(res.headers.get("ratelimit-policy") ?? "", /"watch";q=2;w=60/);
      await res.arrayBuffer();
    }
    assert.deepEqual(statuses, [200, 200, 429]);
    assert.equal((await fetch(`${url}/v1/items/1`)).status, 200);
  });

  it("docs: the page and the OpenAPI document are served", async () => {
    const page = await fetch(`${url}/docs`);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /Inventory API/);
    const spec = (await (await fetch(`${url}/openapi.json`)).json()) as { openapi: string };
    assert.equal(spec.openapi, "3.0.3");
  });

  it("metrics, access log and traces: each call is counted, logged and traced", async () => {
    assert.equal((await fetch(`${url}/metrics`)).status, 404, "metrics moved to /prom");
    const res = await fetch(`${url}/prom`);
    assert.equal(res.status, 200);
    const text = await res.text();
    assert.match(text, /^grpc_gateway_requests_total\{.*route="\/v1\/items",.*http_status="401"/m);
    assert.match(text, /^grpc_gateway_requests_total\{.*http_status="429".*\} 1$/m);
    assert.match(text, /^process_cpu_seconds_total /m);
    // The access log (pino JSON on stdout) and the spans (the SDK's console exporter).
    await gateway.waitFor(/"status":413/);
    assert.match(gateway.output(), /\{"level":30,.*"user-agent":"node"/);
    await gateway.waitFor(/name: 'POST \/v1\/items'/);
  });

  it("server.maxConnections: connections past the cap are closed, the gateway keeps serving", async () => {
    const sockets = await Promise.all(
      Array.from(
        { length: 25 },
        () =>
          new Promise<import("node:net").Socket>((resolve) => {
            const s = connect(new URL(url).port as unknown as number, "127.0.0.1", () =>
              resolve(s),
            );
            s.on("error", () => resolve(s));
          }),
      ),
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    const closed = sockets.filter((s) => s.destroyed || s.readableEnded).length;
    for (const s of sockets) s.destroy();
    assert.ok(closed >= 5, `${closed} of 25 connections closed`);
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal((await fetch(`${url}/v1/items/1`)).status, 200);
  });
  it("server: a malformed request and a stalled body get a google.rpc.Status (400, 408)", async () => {
    const exchange = (request: string) =>
      new Promise<string>((resolve, reject) => {
        const s = connect(Number(new URL(url).port), "127.0.0.1", () => s.write(request));
        let out = "";
        s.on("data", (chunk: Buffer) => {
          out += chunk.toString();
        });
        s.on("close", () => resolve(out));
        s.on("error", reject);
        setTimeout(() => s.destroy(), 5000).unref();
      });
    const cases = [
      {
        name: "a malformed request line",
        request: "GET /v1/items/1 HTTP/9\r\n\r\n",
        status: 400,
        code: 3,
      },
      {
        name: "a body that stops coming",
        request: `POST /v1/items HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${await sign({ scope: "items.write" })}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{`,
        status: 408,
        code: 4,
      },
    ];
    for (const c of cases) {
      const answer = await exchange(c.request);
      assert.match(answer, new RegExp(`^HTTP/1.1 ${c.status} `), `${c.name}: ${answer}`);
      const body = JSON.parse(answer.slice(answer.indexOf("\r\n\r\n") + 4)) as { code: number };
      assert.equal(body.code, c.code, c.name);
    }
    assert.equal((await fetch(`${url}/v1/items/1`)).status, 200);
  });
});

describe("rateLimit.redis: two gateway processes share one budget", { skip: redis.skip }, () => {
  let redis: RedisServer | undefined;
  let urls: string[] = [];

  before(async () => {
    const redisPort = await freePort();
    redis = new RedisServer(redisPort);
    await redis.start();
    const backend = await startPlainBackend("b1");
    const ports = [await freePort(), await freePort()];
    urls = ports.map((p) => `http://127.0.0.1:${p}`);
    await Promise.all(
      ports.map((p, i) =>
        startGateway(
          work.write(
            `redis-${i}.yaml`,
            `server:
  listeners: [{ host: 127.0.0.1, port: ${p} }]
rateLimit:
  points: 6
  durationSec: 60
  redis: { url: "\${REDIS_URL}", failure: closed }
${services(backend.port)}`,
          ),
          [],
          { REDIS_URL: `redis://127.0.0.1:${redisPort}` },
        ),
      ),
    );
  });
  after(() => redis?.stop());

  it("6 calls spread over both are allowed, the 7th is a 429 whichever answers", async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) {
      const res = await fetch(`${urls[i % 2]}/v1/items/${i}`);
      statuses.push(res.status);
      await res.arrayBuffer();
    }
    assert.deepEqual(statuses, [200, 200, 200, 200, 200, 200, 429, 429]);
  });
});

describe("config sections are validated and described", () => {
  const cases: { name: string; section: string; error: RegExp }[] = [
    {
      name: "an unknown key in a section",
      section: "cors:\n  origins: '*'\n  maxAge: 5\n",
      error: /bad\.yaml:3:3: cors\.maxAge: unknown key "maxAge"/,
    },
    {
      name: "auth without a key set",
      section: "auth:\n  algorithms: [RS256]\n",
      error: /bad\.yaml:1:1: auth: give exactly one of jwksUrl and jwksFile/,
    },
    {
      name: "a rate limit without points",
      section: "rateLimit:\n  durationSec: 60\n",
      error: /bad\.yaml:1:1: rateLimit\.points: missing/,
    },
    {
      name: "a WebSocket message limit per something unknown",
      section:
        "rateLimit:\n  points: 1\n  durationSec: 1\n  webSocketMessages: { points: 1, durationSec: 1, per: socket }\n",
      error: /bad\.yaml:4:51: rateLimit\.webSocketMessages\.per: /,
    },
    {
      name: "a Redis URL that is not one",
      section: "rateLimit:\n  points: 1\n  durationSec: 1\n  redis: { url: http://x }\n",
      error: /bad\.yaml:4:12: rateLimit\.redis\.url: a redis:\/\/ or rediss:\/\/ URL/,
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const config = work.write(
        "bad.yaml",
        `${c.section}server:\n  listeners: [{ port: 8080 }]\n${services(50051)}`,
      );
      const run = runGateway(["check", config]);
      assert.equal(run.status, 1);
      assert.match(run.stderr, c.error);
    });
  }

  it("ts-gateway schema lists every section", () => {
    const schema = JSON.parse(runGateway(["schema"]).stdout) as {
      properties: Record<string, unknown>;
    };
    for (const section of [
      "metrics",
      "accessLog",
      "tracing",
      "auth",
      "rateLimit",
      "cors",
      "compression",
      "deprecation",
      "docs",
    ]) {
      assert.ok(section in schema.properties, section);
    }
  });
});
