// CORS and compression per route (RouteRule selectors, `false` turns a
// policy off), in both backend modes. A preflight is answered by the policy
// of the route its Access-Control-Request-Method resolves to on the path
// (the mux-wide one when the path has no route for that method), and lists
// only the methods whose routes admit the origin.
import assert from "node:assert/strict";
import { request as httpRequest } from "node:http";
import { after, before, describe, test } from "node:test";
import * as zlib from "node:zlib";
import { compression, cors } from "@ts-gateway/runtime/policy";
import { modes, type PipelineGateway, startPipelineGateway } from "../pipeline/pipeline-fixture.js";
import { http } from "./policy-support.js";

const app = "https://app.example";
const admin = "https://admin.example";
const long = "a".repeat(3000);

/** One GET or POST with `Accept-Encoding: gzip`; the body as received (still encoded). */
function gzipExchange(
  url: string,
  init: { method?: string; body?: string } = {},
): Promise<{ status: number; encoding: string | undefined; text: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      url,
      {
        method: init.method ?? "GET",
        headers: { "accept-encoding": "gzip", "content-type": "application/json" },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("error", reject);
        res.on("end", () => {
          const body = Buffer.concat(chunks);
          const encoding = res.headers["content-encoding"];
          const text = (encoding === "gzip" ? zlib.gunzipSync(body) : body).toString();
          resolve({ status: res.statusCode ?? 0, encoding, text });
        });
      },
    );
    req.on("error", reject);
    req.end(init.body);
  });
}

for (const mode of modes) {
  describe(`per-route CORS and compression (${mode})`, () => {
    let g: PipelineGateway;
    before(async () => {
      g = await startPipelineGateway(mode, [
        cors({
          origins: [app],
          routes: [
            { match: { template: "/v1/things" }, options: { origins: [admin], maxAgeSec: 60 } },
            { match: { selector: "errors.v1.ErrorService.Sleep" }, options: false },
            { match: { httpMethod: "DELETE", template: "/v1/echo" }, options: false },
          ],
        }),
        compression({
          encodings: ["gzip"],
          thresholdBytes: 100,
          routes: [
            { match: { selector: "errors.v1.ErrorService.Fail" }, options: false },
            { match: { template: "/v1/echo/{text}" }, options: { thresholdBytes: 100_000 } },
          ],
        }),
      ]);
      // A second method on /v1/echo (a hand-written route), with CORS off.
      g.mux.handlePath("DELETE", "/v1/echo", (_req, res) => {
        res.statusCode = 204;
        res.end();
      });
    });
    after(() => g.close());

    const preflights = [
      {
        name: "the mux-wide policy; a method whose route has CORS off is not listed",
        path: "/v1/echo",
        origin: app,
        method: "POST",
        status: 204,
        allowOrigin: app,
        methods: "POST, OPTIONS",
        maxAge: "600",
      },
      {
        name: "the requested method's route has CORS off: no CORS headers",
        path: "/v1/echo",
        origin: app,
        method: "DELETE",
        status: 204,
        allowOrigin: undefined,
        methods: undefined,
        maxAge: undefined,
      },
      {
        name: "a route of its own origins: the mux-wide origin refused",
        path: "/v1/things",
        origin: app,
        method: "POST",
        status: 403,
        allowOrigin: undefined,
        methods: undefined,
        maxAge: undefined,
      },
      {
        name: "a route of its own origins: its origin admitted, its max age",
        path: "/v1/things",
        origin: admin,
        method: "POST",
        status: 204,
        allowOrigin: admin,
        methods: "POST, OPTIONS",
        maxAge: "60",
      },
      {
        name: "a method the path has no route for: the mux-wide policy",
        path: "/v1/echo",
        origin: app,
        method: "PUT",
        status: 204,
        allowOrigin: app,
        methods: "POST, OPTIONS",
        maxAge: "600",
      },
    ];
    for (const row of preflights) {
      test(`preflight ${row.method} ${row.path} from ${row.origin}: ${row.name}`, async () => {
        const a = await http(`${g.url}${row.path}`, {
          method: "OPTIONS",
          headers: { origin: row.origin, "access-control-request-method": row.method },
        });
        assert.equal(a.status, row.status, a.body);
        assert.equal(a.headers["access-control-allow-origin"], row.allowOrigin);
        assert.equal(a.headers["access-control-allow-methods"], row.methods);
        assert.equal(a.headers["access-control-max-age"], row.maxAge);
      });
    }

    const requests = [
      { path: "/v1/echo/hi", method: "GET", origin: app, allowOrigin: app },
      { path: "/v1/sleep/0", method: "GET", origin: app, allowOrigin: undefined },
      { path: "/v1/things", method: "POST", origin: admin, allowOrigin: admin },
      { path: "/v1/things", method: "POST", origin: app, allowOrigin: undefined },
      { path: "/v1/echo", method: "DELETE", origin: app, allowOrigin: undefined },
    ];
    for (const row of requests) {
      test(`${row.method} ${row.path} from ${row.origin}: Allow-Origin ${row.allowOrigin}`, async () => {
        const a = await http(`${g.url}${row.path}`, {
          method: row.method,
          headers: { origin: row.origin, "content-type": "application/json" },
          ...(row.method === "POST" ? { body: '{"thing":{"name":"x"}}' } : {}),
        });
        assert.ok(a.status < 300, `${a.status} ${a.body}`);
        assert.equal(a.headers["access-control-allow-origin"], row.allowOrigin);
      });
    }

    const compressed = [
      { name: "mux-wide", path: "/v1/echo", method: "POST", encoding: "gzip" },
      { name: "a higher threshold", path: `/v1/echo/${long}`, method: "GET", encoding: undefined },
      {
        name: "off (an error answer)",
        path: `/v1/fail/5?message=${long}`,
        method: "GET",
        encoding: undefined,
      },
      {
        name: "mux-wide, a stream",
        path: "/v1/flood?count=3&size=500",
        method: "GET",
        encoding: "gzip",
      },
      { name: "mux-wide, no route", path: `/v2/${long}`, method: "GET", encoding: "gzip" },
    ];
    for (const row of compressed) {
      test(`compression ${row.name}: ${row.method} → ${row.encoding ?? "identity"}`, async () => {
        const a = await gzipExchange(`${g.url}${row.path}`, {
          method: row.method,
          ...(row.method === "POST" ? { body: JSON.stringify({ text: long }) } : {}),
        });
        assert.equal(a.encoding, row.encoding, `${a.status} ${a.text.slice(0, 200)}`);
        assert.ok(a.text.length > 1000, a.text);
      });
    }
  });
}
