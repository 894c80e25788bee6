// JWT bearer authentication (jwtAuth, jose) and the generic authenticate hook,
// in both backend modes, over HTTP and WebSocket. Keys come from a real JWKS
// served over HTTP on loopback, which rotates its key during the test; bad
// tokens of every kind are refused with RFC 6750 challenges, and the claims
// metadata the backend sees cannot be forged by a client.
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import { Code, RpcError } from "@ts-gateway/runtime";
import { jwtAuth } from "@ts-gateway/runtime/auth";
import { authenticate } from "@ts-gateway/runtime/policy";
import { exportJWK, generateKeyPair, type JWK, SignJWT, UnsecuredJWT } from "jose";
import { modes, type PipelineGateway, startPipelineGateway } from "../pipeline/pipeline-fixture.js";
import { detailTypes, http, ws } from "./policy-support.js";

type KeyPair = Awaited<ReturnType<typeof generateKeyPair>>;

/** A JWKS endpoint on loopback whose key set can be swapped; counts its fetches. */
class JwksServer {
  keys: JWK[] = [];
  fetches = 0;
  hang = false;
  readonly server: Server = createServer((_req, res) => {
    this.fetches++;
    if (this.hang) return; // never answers: the gateway's fetch timeout must end it
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify({ keys: this.keys }));
  });
  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/.well-known/jwks.json`;
  }
  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
  }
  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

const issuer = "https://issuer.test";
const audience = "library-api";

async function publicJwk(pair: KeyPair, kid: string, alg: string): Promise<JWK> {
  return { ...(await exportJWK(pair.publicKey)), kid, alg, use: "sig" };
}

function sign(
  pair: KeyPair,
  kid: string,
  claims: Record<string, unknown> = {},
  opts: {
    alg?: string;
    iss?: string;
    aud?: string;
    exp?: number | string;
    nbf?: number | string;
  } = {},
): Promise<string> {
  const jwt = new SignJWT({ scope: "books.read", ...claims })
    .setProtectedHeader({ alg: opts.alg ?? "RS256", kid })
    .setSubject("user-1")
    .setIssuer(opts.iss ?? issuer)
    .setAudience(opts.aud ?? audience)
    .setIssuedAt()
    .setExpirationTime(opts.exp ?? "5m");
  if (opts.nbf !== undefined) jwt.setNotBefore(opts.nbf);
  return jwt.sign(pair.privateKey);
}

const b64 = (s: string) => Buffer.from(s).toString("base64url");

for (const mode of modes) {
  describe(`jwtAuth (${mode})`, () => {
    const jwks = new JwksServer();
    let g: PipelineGateway;
    let rsa: KeyPair;
    let rotated: KeyPair;
    let ec: KeyPair;
    before(async () => {
      await jwks.start();
      rsa = await generateKeyPair("RS256");
      rotated = await generateKeyPair("RS256");
      ec = await generateKeyPair("ES256");
      jwks.keys = [await publicJwk(rsa, "k1", "RS256"), await publicJwk(ec, "e1", "ES256")];
      g = await startPipelineGateway(mode, [
        jwtAuth({
          jwksUrl: jwks.url,
          algorithms: ["RS256", "ES256"],
          issuer,
          audience,
          realm: "library",
          jwksFetch: { cooldownMs: 0, timeoutMs: 1000 },
          routes: [
            { match: { selector: "errors.v1.ErrorService.Fail" }, options: { optional: true } },
            {
              match: { selector: "errors.v1.ErrorService.CreateThing" },
              options: { scopes: ["books.write"] },
            },
            { match: { template: "/v1/sleep/{ms}" }, options: false },
          ],
        }),
      ]);
    });
    after(async () => {
      await g.close();
      await jwks.close();
    });

    test("a valid token: the backend sees the claims, not the client's forged keys", async () => {
      const token = await sign(rsa, "k1", { name: "Zoë" });
      const a = await http(`${g.url}/v1/echo/hi`, {
        headers: {
          authorization: `Bearer ${token}`,
          "grpc-metadata-x-jwt-sub": "admin",
          "grpc-metadata-x-jwt-claims": '{"sub":"admin"}',
        },
      });
      assert.equal(a.status, 200, a.body);
      const seen = g.backendCalls.at(-1)?.metadata ?? {};
      assert.deepEqual(seen["x-jwt-sub"], ["user-1"]);
      const claims = JSON.parse(seen["x-jwt-claims"]?.[0] ?? "{}") as Record<string, unknown>;
      assert.equal(claims.sub, "user-1");
      assert.equal(claims.name, "Zoë");
      assert.equal(claims.iss, issuer);
    });

    test("an ES256 token from the same key set", async () => {
      const a = await http(`${g.url}/v1/echo/hi`, {
        headers: { authorization: `Bearer ${await sign(ec, "e1", {}, { alg: "ES256" })}` },
      });
      assert.equal(a.status, 200, a.body);
    });

    test("no token: 401 with a realm challenge and no error", async () => {
      const a = await http(`${g.url}/v1/echo/hi`);
      assert.equal(a.status, 401);
      assert.equal(a.headers["www-authenticate"], 'Bearer realm="library"');
      assert.equal((a.json as { code: number }).code, Code.Unauthenticated);
      assert.deepEqual(detailTypes(a.json), ["type.googleapis.com/google.rpc.ErrorInfo"]);
    });

    const bad: Array<{ name: string; token: () => Promise<string>; description: string }> = [
      {
        name: "expired",
        token: () => sign(rsa, "k1", {}, { exp: Math.floor(Date.now() / 1000) - 60 }),
        description: "token expired",
      },
      {
        name: "not yet valid",
        token: () => sign(rsa, "k1", {}, { nbf: "10m" }),
        description: "token not yet valid",
      },
      {
        name: "wrong issuer",
        token: () => sign(rsa, "k1", {}, { iss: "https://evil.test" }),
        description: 'bad "iss" claim',
      },
      {
        name: "wrong audience",
        token: () => sign(rsa, "k1", {}, { aud: "other" }),
        description: 'bad "aud" claim',
      },
      {
        name: "alg none",
        token: async () =>
          new UnsecuredJWT({ sub: "admin" })
            .setIssuer(issuer)
            .setAudience(audience)
            .setExpirationTime("5m")
            .encode(),
        description: "algorithm not allowed",
      },
      {
        // HS256 signed with the RSA public key's bytes as the secret: the classic confusion attack.
        name: "HS/RS confusion",
        token: async () => {
          const pub = await exportJWK(rsa.publicKey);
          return new SignJWT({ sub: "admin" })
            .setProtectedHeader({ alg: "HS256", kid: "k1" })
            .setIssuer(issuer)
            .setAudience(audience)
            .setExpirationTime("5m")
            .sign(new TextEncoder().encode(JSON.stringify(pub)));
        },
        description: "algorithm not allowed",
      },
      {
        name: "tampered signature",
        token: async () => {
          const [h, p, s] = (await sign(rsa, "k1")).split(".");
          return `${h}.${p}.${(s ?? "").slice(0, -4)}AAAA`;
        },
        description: "bad signature",
      },
      {
        name: "tampered payload",
        token: async () => {
          const [h, , s] = (await sign(rsa, "k1")).split(".");
          return `${h}.${b64(JSON.stringify({ sub: "admin", iss: issuer, aud: audience, exp: 4e9 }))}.${s}`;
        },
        description: "bad signature",
      },
      {
        name: "signed by an unknown key",
        token: async () => sign(await generateKeyPair("RS256"), "k9"),
        description: "no key matches the token",
      },
      {
        name: "oversized",
        token: () => sign(rsa, "k1", { pad: "x".repeat(10_000) }),
        description: "token too long",
      },
      { name: "garbage", token: async () => "not.a.jwt", description: "malformed token" },
      {
        name: "garbage header",
        token: async () => `${b64("{")}.${b64("{}")}.AAAA`,
        description: "malformed token",
      },
    ];
    for (const row of bad) {
      test(`a bad token (${row.name}): 401 invalid_token`, async () => {
        const before = g.backendCalls.length;
        const a = await http(`${g.url}/v1/echo/hi`, {
          headers: { authorization: `Bearer ${await row.token()}` },
        });
        assert.equal(a.status, 401, a.body);
        assert.equal(
          a.headers["www-authenticate"],
          `Bearer realm="library", error="invalid_token", error_description="${row.description.replace(/"/g, '\\"')}"`,
        );
        assert.equal(g.backendCalls.length, before, "the backend was not called");
      });
    }

    test("a missing scope: 403 insufficient_scope", async () => {
      const a = await http(`${g.url}/v1/things`, {
        method: "POST",
        headers: {
          authorization: `Bearer ${await sign(rsa, "k1")}`,
          "content-type": "application/json",
        },
        body: '{"name":"t"}',
      });
      assert.equal(a.status, 403, a.body);
      assert.equal(
        a.headers["www-authenticate"],
        'Bearer realm="library", error="insufficient_scope", scope="books.write"',
      );
      const ok = await http(`${g.url}/v1/things`, {
        method: "POST",
        headers: {
          authorization: `Bearer ${await sign(rsa, "k1", { scope: "books.read books.write" })}`,
        },
        body: '{"name":"t"}',
      });
      assert.equal(ok.status, 201, ok.body);
    });

    test("an optional route: no token passes, forged claims stripped; a bad token is still refused", async () => {
      // Fail/5 answers NOT_FOUND from the backend: the call got through.
      const a = await http(`${g.url}/v1/fail/5`, {
        headers: { "grpc-metadata-x-jwt-sub": "admin" },
      });
      assert.equal(a.status, 404, a.body);
      assert.equal(g.backendCalls.at(-1)?.metadata["x-jwt-sub"], undefined);
      const b = await http(`${g.url}/v1/fail/5`, { headers: { authorization: "Bearer x.y.z" } });
      assert.equal(b.status, 401);
    });

    test("a route with auth off: no token needed, forged claims still stripped", async () => {
      const a = await http(`${g.url}/v1/sleep/0`, {
        headers: { "grpc-metadata-x-jwt-sub": "admin" },
      });
      assert.equal(a.status, 200, a.body);
      assert.equal(g.backendCalls.at(-1)?.metadata["x-jwt-sub"], undefined);
    });

    test("key rotation: a token of a new kid makes the gateway refetch the key set", async () => {
      jwks.keys = [await publicJwk(rotated, "k2", "RS256")];
      const fetches = jwks.fetches;
      const a = await http(`${g.url}/v1/echo/hi`, {
        headers: { authorization: `Bearer ${await sign(rotated, "k2")}` },
      });
      assert.equal(a.status, 200, a.body);
      assert.ok(jwks.fetches > fetches);
      const old = await http(`${g.url}/v1/echo/hi`, {
        // A token not seen before: one verified earlier stays trusted for the cache's ttlMs.
        headers: { authorization: `Bearer ${await sign(rsa, "k1", { n: "after-rotation" })}` },
      });
      assert.equal(old.status, 401, "the retired key is gone");
      jwks.keys = [await publicJwk(rsa, "k1", "RS256"), await publicJwk(ec, "e1", "ES256")];
    });

    test("WebSocket upgrades: refused without a token, accepted with one", async () => {
      const refused = await ws(`${g.wsUrl}/v1/count/2`, []);
      assert.equal(refused.status, 401);
      assert.equal(refused.headers["www-authenticate"], 'Bearer realm="library"');
      const token = await sign(rsa, "k1");
      const ok = await ws(`${g.wsUrl}/v1/count/2`, [], {
        authorization: `Bearer ${token}`,
        "grpc-metadata-x-jwt-sub": "admin",
      });
      assert.equal(ok.status, 101);
      assert.equal(ok.frames?.length, 2);
      assert.deepEqual(g.backendCalls.at(-1)?.metadata["x-jwt-sub"], ["user-1"]);
    });
  });
}

describe("jwtAuth: a key set that does not answer", () => {
  const jwks = new JwksServer();
  let g: PipelineGateway;
  before(async () => {
    await jwks.start();
    jwks.hang = true;
    g = await startPipelineGateway("local", [
      jwtAuth({ jwksUrl: jwks.url, algorithms: ["RS256"], jwksFetch: { timeoutMs: 300 } }),
    ]);
  });
  after(async () => {
    await g.close();
    await jwks.close();
  });
  test("503 UNAVAILABLE within the fetch timeout, not a hang", async () => {
    const pair = await generateKeyPair("RS256");
    const started = Date.now();
    const a = await http(`${g.url}/v1/echo/hi`, {
      headers: { authorization: `Bearer ${await sign(pair, "k1")}` },
    });
    assert.equal(a.status, 503, a.body);
    assert.ok(Date.now() - started < 3000);
  });
});

describe("jwtAuth: the verified-token cache", () => {
  const jwks = new JwksServer();
  const gateways: PipelineGateway[] = [];
  let pair: KeyPair;
  before(async () => {
    await jwks.start();
    pair = await generateKeyPair("RS256");
    jwks.keys = [await publicJwk(pair, "k1", "RS256")];
  });
  after(async () => {
    for (const g of gateways) await g.close();
    await jwks.close();
  });
  /** A gateway whose key set is refetched on every verification (jose's cache age 1 ms). */
  async function gateway(
    cache: false | undefined,
    clockToleranceSec = 5,
  ): Promise<PipelineGateway> {
    const g = await startPipelineGateway("local", [
      jwtAuth({
        jwksUrl: jwks.url,
        algorithms: ["RS256"],
        issuer,
        audience,
        clockToleranceSec,
        jwksFetch: { timeoutMs: 300, cacheMaxAgeMs: 1, cooldownMs: 1 },
        ...(cache === false ? { cache } : {}),
      }),
    ]);
    gateways.push(g);
    return g;
  }
  const call = (g: PipelineGateway, token: string) =>
    http(`${g.url}/v1/echo/hi`, { headers: { authorization: `Bearer ${token}` } });

  test("a token verified once passes again without its key set; a new token still needs it", async () => {
    const cached = await gateway(undefined);
    const uncached = await gateway(false);
    const token = await sign(pair, "k1");
    jwks.hang = false;
    assert.equal((await call(cached, token)).status, 200);
    assert.equal((await call(uncached, token)).status, 200);
    jwks.hang = true; // the key set stops answering
    try {
      const again = await call(cached, token);
      assert.equal(again.status, 200, again.body);
      assert.equal((await call(uncached, token)).status, 503, "cache: false verifies every call");
      assert.equal((await call(cached, await sign(pair, "k1", { n: 2 }))).status, 503);
    } finally {
      jwks.hang = false;
    }
  });

  test("a cached token is refused once it expires", async () => {
    const g = await gateway(undefined, 0);
    const token = await sign(pair, "k1", {}, { exp: Math.floor(Date.now() / 1000) + 2 });
    assert.equal((await call(g, token)).status, 200);
    await new Promise((resolve) => setTimeout(resolve, 2200));
    const late = await call(g, token);
    assert.equal(late.status, 401, late.body);
    assert.match(late.headers["www-authenticate"] ?? "", /token expired/);
  });
});

describe("jwtAuth configuration", () => {
  const rows: Array<{ name: string; options: Parameters<typeof jwtAuth>[0]; error: RegExp }> = [
    { name: "alg none", options: { key: new Uint8Array(32), algorithms: ["none"] }, error: /none/ },
    {
      name: "no algorithms",
      options: { key: new Uint8Array(32), algorithms: [] },
      error: /algorithms/,
    },
    { name: "no key source", options: { algorithms: ["RS256"] }, error: /exactly one/ },
  ];
  for (const row of rows) {
    test(`refused: ${row.name}`, () => assert.throws(() => jwtAuth(row.options), row.error));
  }
});

describe("authenticate: an API-key scheme through the generic hook", () => {
  let g: PipelineGateway;
  before(async () => {
    g = await startPipelineGateway("remote", [
      authenticate({
        metadataKeys: ["x-client-id"],
        challenge: 'ApiKey realm="library"',
        authenticator(call) {
          const key = call.headers["x-api-key"];
          if (key === undefined) return undefined;
          if (key !== "k-123") throw new RpcError("unknown API key", Code.Unauthenticated);
          return { metadata: { "x-client-id": "client-7" } };
        },
      }),
    ]);
  });
  after(() => g.close());
  const rows = [
    { name: "a known key", headers: { "x-api-key": "k-123" }, status: 200, client: ["client-7"] },
    { name: "no key", headers: {}, status: 401, challenge: 'ApiKey realm="library"' },
    { name: "an unknown key", headers: { "x-api-key": "nope" }, status: 401 },
    {
      name: "a known key and a forged client id",
      headers: { "x-api-key": "k-123", "grpc-metadata-x-client-id": "root" },
      status: 200,
      client: ["client-7"],
    },
  ];
  for (const row of rows) {
    test(row.name, async () => {
      const a = await http(`${g.url}/v1/echo/hi`, { headers: row.headers });
      assert.equal(a.status, row.status, a.body);
      if (row.challenge !== undefined) assert.equal(a.headers["www-authenticate"], row.challenge);
      if (row.client !== undefined)
        assert.deepEqual(g.backendCalls.at(-1)?.metadata["x-client-id"], row.client);
    });
  }
});
