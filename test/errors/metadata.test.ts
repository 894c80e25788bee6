// Headers ↔ metadata end to end: what a recording implementation receives in
// its context.metadata (over a real grpc-js hop, and in-process), and which
// response headers and trailers its metadata becomes.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Metadata } from "@grpc/grpc-js";
import { defaultHeaderMatcher } from "@ts-gateway/runtime";
import { request } from "../support/servers.js";
import { type ErrorGateway, modes, startErrorGateway } from "./error-fixture.js";
import { rawRequest } from "./raw-http.js";

const blob = Buffer.from([0x00, 0x01, 0xfe, 0xff]);

/** Request headers, and the metadata they must become. */
const incoming: Record<string, string> = {
  "Grpc-Metadata-Tenant": "acme",
  "Grpc-Metadata-Blob-Bin": blob.toString("base64"),
  Authorization: "Bearer token-1",
  "Accept-Language": "de-CH",
  Cookie: "session=abc",
  "User-Agent": "fuzzy/1.0",
  "X-Forwarded-For": "203.0.113.7",
  "X-Forwarded-Host": "api.example.com",
  traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
  tracestate: "congo=t61rcWkgMzE",
  "X-Request-Id": "req-42",
  // Never forwarded:
  Connection: "keep-alive, Grpc-Metadata-Hop",
  "Grpc-Metadata-Hop": "named in Connection",
  "Keep-Alive": "timeout=5",
  TE: "trailers",
  Upgrade: "h2c",
  "Proxy-Authorization": "Basic secret",
  "X-Custom": "not matched by default",
  "Grpc-Timeout": "10S",
  // gRPC's own keys never come from a client:
  "Grpc-Metadata-Grpc-Previous-Rpc-Attempts": "7",
  "Grpc-Metadata-Grpc-Custom": "x",
};

const expected: Record<string, string | Buffer> = {
  tenant: "acme",
  "blob-bin": blob,
  authorization: "Bearer token-1",
  "grpcgateway-accept-language": "de-CH",
  "grpcgateway-cookie": "session=abc",
  "grpcgateway-user-agent": "fuzzy/1.0",
  "x-forwarded-for": "203.0.113.7, 127.0.0.1",
  "x-forwarded-host": "api.example.com",
  traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
  tracestate: "congo=t61rcWkgMzE",
  "x-request-id": "req-42",
};

const neverForwarded = [
  "connection",
  "keep-alive",
  "upgrade",
  "proxy-authorization",
  "hop",
  "grpc-metadata-hop",
  "x-custom",
  "host",
  "grpcgateway-host",
  "grpcgateway-connection",
  "grpc-previous-rpc-attempts",
  "grpc-custom",
];

for (const mode of modes) {
  describe(`incoming metadata (${mode})`, () => {
    let gw: ErrorGateway;
    before(async () => {
      gw = await startErrorGateway(mode);
    });
    after(() => gw.close());

    test("default header rules", async () => {
      const res = await rawRequest(`${gw.url}/v1/echo/hi`, { headers: incoming });
      assert.equal(res.status, 200, res.text);
      const md = lastMetadata(gw);
      for (const [key, value] of Object.entries(expected)) {
        assert.deepEqual(md.get(key), [value], key);
      }
      for (const key of neverForwarded) assert.deepEqual(md.get(key), [], key);
      if (mode === "in-process") {
        // Over gRPC, grpc-js itself sends te and user-agent; in-process nothing else is there.
        assert.deepEqual(Object.keys(md.getMap()).sort(), Object.keys(expected).sort());
      }
    });

    test("X-Forwarded-Host defaults to Host; X-Forwarded-For starts with the peer", async () => {
      const res = await rawRequest(`${gw.url}/v1/echo/hi`, { headers: { Host: "h.example" } });
      assert.equal(res.status, 200);
      const md = lastMetadata(gw);
      assert.deepEqual(md.get("x-forwarded-host"), ["h.example"]);
      assert.deepEqual(md.get("x-forwarded-for"), ["127.0.0.1"]);
    });
  });

  describe(`header matchers (${mode})`, () => {
    test("a user matcher extends the default", async () => {
      const gw = await startErrorGateway(mode, {
        headerMatcher: (name) => (name === "x-custom" ? "custom" : defaultHeaderMatcher(name)),
      });
      try {
        await rawRequest(`${gw.url}/v1/echo/hi`, { headers: incoming });
        const md = lastMetadata(gw);
        assert.deepEqual(md.get("custom"), ["not matched by default"]);
        assert.deepEqual(md.get("authorization"), ["Bearer token-1"]);
        // Hop-by-hop headers stay out whatever the matcher says.
        assert.deepEqual(md.get("hop"), []);
      } finally {
        await gw.close();
      }
    });

    test("a user matcher replaces the default", async () => {
      const gw = await startErrorGateway(mode, {
        headerMatcher: (name) => (name === "x-tenant" ? "tenant" : name === "keep-alive" && "ka"),
      });
      try {
        await rawRequest(`${gw.url}/v1/echo/hi`, {
          headers: { ...incoming, "X-Tenant": "t2" },
        });
        const md = lastMetadata(gw);
        assert.deepEqual(md.get("tenant"), ["t2"]);
        for (const key of ["authorization", "grpcgateway-cookie", "traceparent", "ka"]) {
          assert.deepEqual(md.get(key), [], key);
        }
        // The gateway's own forwarding headers are still added.
        assert.deepEqual(md.get("x-forwarded-for"), ["203.0.113.7, 127.0.0.1"]);
      } finally {
        await gw.close();
      }
    });
  });

  describe(`outgoing metadata (${mode})`, () => {
    let gw: ErrorGateway;
    before(async () => {
      gw = await startErrorGateway(mode);
      gw.service.responseHeaders.add("x-h", "v1");
      gw.service.responseHeaders.add("x-h", "v2");
      gw.service.responseHeaders.set("blob-bin", blob);
      gw.service.responseTrailers.set("x-t", "tv");
    });
    after(() => gw.close());

    test("headers as Grpc-Metadata-<key>, trailers as Grpc-Trailer-<key> headers", async () => {
      const res = await rawRequest(`${gw.url}/v1/echo/hi`);
      assert.equal(res.status, 200);
      assert.deepEqual(res.json, { text: "hi" });
      assert.equal(res.headers["grpc-metadata-x-h"], "v1, v2");
      assert.equal(res.headers["grpc-metadata-blob-bin"], blob.toString("base64"));
      assert.equal(res.headers["grpc-trailer-x-t"], "tv");
      assert.equal(res.headers["content-length"], String(res.text.length));
      assert.equal(res.headers["grpc-metadata-content-type"], undefined);
      assert.deepEqual(res.trailers, {});
    });

    test("TE: trailers → real HTTP trailers after a chunked body", async () => {
      const res = await rawRequest(`${gw.url}/v1/echo/hi`, { headers: { TE: "trailers" } });
      assert.equal(res.status, 200);
      assert.deepEqual(res.json, { text: "hi" });
      assert.equal(res.headers["content-length"], undefined);
      assert.equal(res.headers["transfer-encoding"], "chunked");
      assert.equal(res.headers.trailer, "Grpc-Trailer-x-t");
      assert.equal(res.headers["grpc-trailer-x-t"], undefined);
      assert.equal(res.headers["grpc-metadata-x-h"], "v1, v2");
      assert.deepEqual(res.trailers, { "grpc-trailer-x-t": "tv" });
    });

    test("errors carry the backend's trailers too (as HTTP trailers with TE: trailers)", async () => {
      const plain = await rawRequest(`${gw.url}/v1/fail/16?wwwAuthenticate=Negotiate`);
      assert.equal(plain.status, 401);
      assert.equal(plain.headers["www-authenticate"], "Negotiate");
      assert.equal(plain.headers["grpc-trailer-www-authenticate"], "Negotiate");
      const te = await rawRequest(`${gw.url}/v1/fail/16?wwwAuthenticate=Negotiate`, {
        headers: { TE: "trailers" },
      });
      assert.equal(te.status, 401);
      assert.deepEqual(te.json, { code: 16, message: "", details: [] });
      assert.deepEqual(te.trailers, { "grpc-trailer-www-authenticate": "Negotiate" });
    });

    test("x-http-code chooses the success status; x-http-header-<name> sets a header", async () => {
      const res = await request(`${gw.url}/v1/things`, { method: "POST", json: { name: "t1" } });
      assert.equal(res.status, 201, res.text);
      assert.deepEqual(res.json, { name: "things/t1" });
      assert.equal(res.headers.get("location"), "/v1/things/t1");
      assert.equal(res.headers.get("content-length"), String(res.text.length));
      for (const name of res.headers.keys()) assert.doesNotMatch(name, /^grpc-metadata-x-http/);
    });
  });

  describe(`outgoing matchers (${mode})`, () => {
    test("configure header and trailer names, or drop keys", async () => {
      const gw = await startErrorGateway(mode, {
        outgoingHeaderMatcher: (key) => (key === "x-h" ? "X-Header" : false),
        outgoingTrailerMatcher: (key) => `X-Trailer-${key}`,
      });
      gw.service.responseHeaders.set("x-h", "v");
      gw.service.responseHeaders.set("dropped", "d");
      gw.service.responseTrailers.set("x-t", "tv");
      try {
        const res = await rawRequest(`${gw.url}/v1/echo/hi`);
        assert.equal(res.headers["x-header"], "v");
        assert.equal(res.headers["x-trailer-x-t"], "tv");
        assert.equal(res.headers["grpc-metadata-dropped"], undefined);
        assert.equal(res.headers["grpc-metadata-x-h"], undefined);
        const te = await rawRequest(`${gw.url}/v1/echo/hi`, { headers: { TE: "trailers" } });
        assert.deepEqual(te.trailers, { "x-trailer-x-t": "tv" });
      } finally {
        await gw.close();
      }
    });
  });
}

function lastMetadata(gw: ErrorGateway): Metadata {
  const seen = gw.service.seen.at(-1);
  assert.ok(seen !== undefined, "the backend was called");
  assert.ok(seen.metadata instanceof Metadata);
  return seen.metadata;
}
