// CORS and HEAD on the mux, in both backend modes: a browser-shaped exchange
// (preflight, then the real request with Origin, reading the exposed
// Grpc-Metadata-* headers), OPTIONS answered from the route table instead of
// a 405, refused origins, and HEAD served as the GET without a body.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Mux } from "@ts-gateway/runtime";
import { cors } from "@ts-gateway/runtime/policy";
import { RecordingService } from "../errors/error-fixture.js";
import { registerErrorService } from "../gen/errors/v1/errors_gateway.js";
import { modes, type PipelineGateway, startPipelineGateway } from "../pipeline/pipeline-fixture.js";
import { startHttpServer } from "../support/servers.js";
import { http } from "./policy-support.js";

const app = "https://app.example";

for (const mode of modes) {
  describe(`cors and HEAD (${mode})`, () => {
    let g: PipelineGateway;
    before(async () => {
      g = await startPipelineGateway(mode, [
        cors({
          origins: [app, /^https:\/\/[a-z0-9]+\.preview\.example$/],
          credentials: true,
          maxAgeSec: 300,
        }),
        // Response metadata as the mux writes it (Grpc-Metadata-*), for the exposed-headers check.
        (call, next) => {
          call.setHeader("Grpc-Metadata-X-Request-Id", "r-1");
          return next();
        },
      ]);
    });
    after(() => g.close());

    test("a browser's preflight, then its real request", async () => {
      const preflight = await http(`${g.url}/v1/echo`, {
        method: "OPTIONS",
        headers: {
          origin: app,
          "access-control-request-method": "POST",
          "access-control-request-headers": "content-type, authorization",
        },
      });
      assert.equal(preflight.status, 204, preflight.body);
      assert.equal(preflight.headers["access-control-allow-origin"], app);
      assert.equal(preflight.headers["access-control-allow-methods"], "POST, OPTIONS");
      assert.equal(
        preflight.headers["access-control-allow-headers"],
        "content-type, authorization",
      );
      assert.equal(preflight.headers["access-control-allow-credentials"], "true");
      assert.equal(preflight.headers["access-control-max-age"], "300");
      assert.match(preflight.headers.vary ?? "", /Origin/);

      const real = await http(`${g.url}/v1/echo`, {
        method: "POST",
        headers: { origin: app, "content-type": "application/json" },
        body: '{"text":"hi"}',
      });
      assert.equal(real.status, 200, real.body);
      assert.equal(real.headers["access-control-allow-origin"], app);
      const metadataHeaders = Object.keys(real.headers).filter((h) =>
        h.startsWith("grpc-metadata-"),
      );
      assert.deepEqual(metadataHeaders, ["grpc-metadata-x-request-id"]);
      const exposed = (real.headers["access-control-expose-headers"] ?? "").split(", ");
      for (const h of metadataHeaders) assert.ok(exposed.includes(h), `${h} exposed: ${exposed}`);
      assert.ok(exposed.includes("Retry-After"));
    });

    const rows = [
      {
        name: "a GET path's methods",
        path: "/v1/echo/x",
        origin: app,
        status: 204,
        methods: "GET, HEAD, OPTIONS",
      },
      {
        name: "a pattern-matched origin",
        path: "/v1/fail/3",
        origin: "https://pr7.preview.example",
        status: 204,
        methods: "GET, HEAD, OPTIONS",
      },
      {
        name: "an origin not allowed",
        path: "/v1/echo",
        origin: "https://evil.example",
        status: 403,
        methods: undefined,
      },
      {
        name: "an unknown path",
        path: "/v1/nowhere",
        origin: app,
        status: 404,
        methods: undefined,
      },
    ];
    for (const row of rows) {
      test(`preflight: ${row.name}`, async () => {
        const a = await http(`${g.url}${row.path}`, {
          method: "OPTIONS",
          headers: { origin: row.origin, "access-control-request-method": "GET" },
        });
        assert.equal(a.status, row.status, a.body);
        assert.equal(a.headers["access-control-allow-methods"], row.methods);
        if (row.status === 403) assert.equal(a.headers["access-control-allow-origin"], undefined);
      });
    }

    test("a request from an origin not allowed: served, without CORS headers", async () => {
      const a = await http(`${g.url}/v1/echo/x`, { headers: { origin: "https://evil.example" } });
      assert.equal(a.status, 200);
      assert.equal(a.headers["access-control-allow-origin"], undefined);
    });

    test("an error answer carries CORS headers, so the page can read it", async () => {
      const a = await http(`${g.url}/v1/fail/5`, { headers: { origin: app } });
      assert.equal(a.status, 404);
      assert.equal(a.headers["access-control-allow-origin"], app);
    });

    test("HEAD on a GET route: the GET's status and headers, no body", async () => {
      const get = await http(`${g.url}/v1/echo/hello`);
      const head = await http(`${g.url}/v1/echo/hello`, { method: "HEAD" });
      assert.equal(head.status, 200);
      assert.equal(head.body, "");
      assert.equal(head.headers["content-type"], get.headers["content-type"]);
      assert.equal(head.headers["content-length"], get.headers["content-length"]);
      const failed = await http(`${g.url}/v1/fail/5`, { method: "HEAD" });
      assert.equal(failed.status, 404);
      assert.equal(failed.body, "");
    });

    test("HEAD on a streaming GET route and on a POST-only path: 405", async () => {
      assert.equal((await http(`${g.url}/v1/count/2`, { method: "HEAD" })).status, 405);
      assert.equal((await http(`${g.url}/v1/echo`, { method: "HEAD" })).status, 405);
    });
  });
}

describe("OPTIONS and HEAD without any middleware", () => {
  test("OPTIONS on a known path: 204 with Allow; HEAD served as GET", async () => {
    const mux = new Mux({ notFound: "404" });
    registerErrorService(mux, new RecordingService());
    const server = await startHttpServer(mux.handler);
    try {
      const options = await http(`${server.url}/v1/echo/x`, { method: "OPTIONS" });
      assert.equal(options.status, 204);
      assert.equal(options.headers.allow, "GET, HEAD, OPTIONS");
      const head = await http(`${server.url}/v1/echo/x`, { method: "HEAD" });
      assert.equal(head.status, 200);
      assert.equal(head.body, "");
      assert.equal((await http(`${server.url}/v1/echo/x`, { method: "DELETE" })).status, 405);
    } finally {
      await server.close();
    }
  });
});
