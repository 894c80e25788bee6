// The example's edge switches (examples/library/src/edge.ts): the example
// started as a child process with JWT auth (a JWKS served here on loopback)
// and a rate limit turned on by environment variables, then called as a
// client would: 401 without a token, 200 with one, 429 past the limit (per
// subject), and the process alive throughout; killed by its PID at the end.
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { type ExampleProcess, startExample } from "../support/example-process.js";
import { parseHttp, rawConnect } from "../support/raw-socket.js";
import { eventually } from "../support/wait.js";
import { http } from "./policy-support.js";

const issuer = "https://issuer.test";
const audience = "library-api";

describe("the example with GATEWAY_AUTH_* and GATEWAY_RATE_LIMIT set (child process)", () => {
  let jwks: Server;
  let example: ExampleProcess;
  let sign: (subject: string) => Promise<string>;

  before(async () => {
    const pair = await generateKeyPair("ES256");
    const key = { ...(await exportJWK(pair.publicKey)), kid: "k1", alg: "ES256", use: "sig" };
    jwks = createServer((_req, res) => {
      res.setHeader("content-type", "application/json");
      res.end(JSON.stringify({ keys: [key] }));
    });
    await new Promise<void>((resolve) => jwks.listen(0, "127.0.0.1", resolve));
    const port = (jwks.address() as AddressInfo).port;
    sign = (subject) =>
      new SignJWT({})
        .setProtectedHeader({ alg: "ES256", kid: "k1" })
        .setSubject(subject)
        .setIssuer(issuer)
        .setAudience(audience)
        .setIssuedAt()
        .setExpirationTime("5m")
        .sign(pair.privateKey);
    example = await startExample({
      GATEWAY_AUTH_JWKS_URL: `http://127.0.0.1:${port}/.well-known/jwks.json`,
      GATEWAY_AUTH_ISSUER: issuer,
      GATEWAY_AUTH_AUDIENCE: audience,
      GATEWAY_RATE_LIMIT: "3/60",
    });
  });
  after(async () => {
    await example?.kill();
    jwks?.closeAllConnections();
    await new Promise((resolve) => jwks?.close(resolve));
  });

  test("no token: 401 with a Bearer challenge", async () => {
    const a = await http(`${example.url}/v1/shelves`);
    assert.equal(a.status, 401, a.body);
    assert.equal((a.json as { code: number }).code, 16);
    assert.match(a.headers["www-authenticate"] ?? "", /^Bearer/);
  });

  test("a token of another issuer: 401 invalid_token", async () => {
    const forged = await new SignJWT({})
      .setProtectedHeader({ alg: "HS256" })
      .setSubject("user-1")
      .setIssuer(issuer)
      .setAudience(audience)
      .setExpirationTime("5m")
      .sign(new TextEncoder().encode("a shared secret the gateway does not have"));
    const a = await http(`${example.url}/v1/shelves`, {
      headers: { authorization: `Bearer ${forged}` },
    });
    assert.equal(a.status, 401, a.body);
    assert.match(a.headers["www-authenticate"] ?? "", /invalid_token/);
  });

  test("with a token: 200 three times, then 429 for that subject only", async () => {
    const token = await sign("reader-1");
    const statuses: number[] = [];
    let last: Awaited<ReturnType<typeof http>> | undefined;
    for (let i = 0; i < 4; i++) {
      last = await http(`${example.url}/v1/shelves`, {
        headers: { authorization: `Bearer ${token}` },
      });
      statuses.push(last.status);
    }
    assert.ok(last !== undefined);
    assert.deepEqual(statuses, [200, 200, 200, 429], last.body);
    assert.equal((last.json as { code: number }).code, 8);
    assert.match(last.headers["retry-after"] ?? "", /^[1-9]\d*$/);
    const other = await http(`${example.url}/v1/shelves`, {
      headers: { authorization: `Bearer ${await sign("reader-2")}` },
    });
    assert.equal(other.status, 200, "another subject has its own budget");
  });

  test("the gateway's own routes need no token and are not counted: probes keep working", async () => {
    // By default (issue 21, item 4): the example names no route rule for them.
    for (const path of ["/healthz", "/readyz", "/livez", "/metrics", "/docs", "/openapi.json"]) {
      for (let i = 0; i < 5; i++) {
        const a = await http(`${example.url}${path}`);
        assert.equal(a.status, 200, `${path}: ${a.body.slice(0, 200)}`);
        assert.equal(a.headers.ratelimit, undefined, path);
      }
    }
  });

  test("refusals (401, 429) and Node's parser refusals (400, 431) reach /metrics and the access log", async () => {
    for (const request of [
      "GET /v1/shelves HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n",
      `GET /v1/shelves HTTP/1.1\r\nHost: x\r\nX-Big: ${"b".repeat(20_000)}\r\n\r\n`,
    ]) {
      const conn = await rawConnect(example.port);
      conn.socket.write(request);
      assert.ok(await conn.closed(10_000));
      assert.ok([400, 431].includes(parseHttp(conn.received())?.status ?? 0));
    }
    const metrics = (await http(`${example.url}/metrics`)).body;
    for (const status of ["401", "429", "400", "431"]) {
      assert.match(
        metrics,
        new RegExp(`grpc_gateway_requests_total\\{[^}]*http_status="${status}"`),
        `${status} counted`,
      );
    }
    for (const status of [401, 429, 400, 431]) {
      await eventually(
        () => example.output().includes(`"status":${status},`),
        10_000,
        `${status} logged`,
      );
    }
  });

  test("the process is alive and still answers", async () => {
    assert.ok(example.alive(), example.output());
    const livez = await http(`${example.url}/livez`);
    assert.equal(livez.status, 200, livez.body);
  });
});
