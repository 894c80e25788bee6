// mountDocs as a static server: the right files with the right types and
// caching headers, ETag revalidation, HEAD, and nothing else — no path a
// client writes (traversal, encoded slashes, other swagger-ui-dist files)
// reaches the disk. Raw sockets, so no client normalizes the paths first.
import assert from "node:assert/strict";
import { connect } from "node:net";
import { after, before, describe, test } from "node:test";
import { Mux } from "@ts-gateway/runtime";
import { mountDocs } from "@ts-gateway/runtime/docs";
import { type HttpTestServer, startHttpServer } from "../support/servers.js";

const spec = { openapi: "3.1.0", info: { title: "Docs <test>", version: "v1" }, paths: {} };

/** Sends one request line as written and returns the status code and headers. */
function raw(
  url: string,
  line: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Record<string, string>; body: string }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    const chunks: Buffer[] = [];
    socket.setTimeout(5000, () => socket.destroy(new Error("timeout")));
    socket.on("data", (c: Buffer) => chunks.push(c));
    socket.on("error", reject);
    socket.on("close", () => {
      const text = Buffer.concat(chunks).toString("latin1");
      const [head = "", body = ""] = text.split("\r\n\r\n", 2);
      const [status = "", ...rest] = head.split("\r\n");
      const parsed: Record<string, string> = {};
      for (const h of rest) {
        const i = h.indexOf(":");
        parsed[h.slice(0, i).toLowerCase()] = h.slice(i + 1).trim();
      }
      resolve({ status: Number(status.split(" ")[1]), headers: parsed, body });
    });
    const extra = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`);
    socket.write(`${line} HTTP/1.1\r\nHost: x\r\n${extra.join("")}Connection: close\r\n\r\n`);
  });
}

describe("mountDocs serves a fixed set of files", () => {
  let http: HttpTestServer;
  before(async () => {
    const mux = new Mux();
    mountDocs(mux, {
      spec: JSON.stringify(spec),
      path: "/api/docs",
      specPath: "/api/openapi.json",
    });
    http = await startHttpServer(mux.handler);
  });
  after(() => http?.close());

  const cases: Array<{ line: string; status: number; type?: RegExp; cache?: string }> = [
    { line: "GET /api/docs", status: 200, type: /^text\/html/, cache: "no-cache" },
    { line: "GET /api/openapi.json", status: 200, type: /^application\/json/, cache: "no-cache" },
    {
      line: "GET /api/docs/swagger-ui.css",
      status: 200,
      type: /^text\/css/,
      cache: "public, max-age=86400",
    },
    { line: "GET /api/docs/swagger-ui-bundle.js", status: 200, type: /^text\/javascript/ },
    { line: "GET /api/docs/init.js", status: 200, type: /^text\/javascript/ },
    { line: "GET /api/docs/favicon-32x32.png", status: 200, type: /^image\/png/ },
    { line: "HEAD /api/docs/swagger-ui.css", status: 200, type: /^text\/css/ },
    { line: "GET /api/docs/index.html", status: 404 },
    { line: "GET /api/docs/package.json", status: 404 },
    { line: "GET /api/docs/../../package.json", status: 404 },
    { line: "GET /api/docs/..%2F..%2Fpackage.json", status: 404 },
    { line: "GET /api/docs/%2e%2e/%2e%2e/package.json", status: 404 },
    { line: "GET /api/docs/swagger-ui.css/../../../etc/passwd", status: 404 },
    { line: "POST /api/docs", status: 405 },
    { line: "GET /docs", status: 404 },
  ];
  for (const c of cases) {
    test(`${c.line} → ${c.status}`, async () => {
      const res = await raw(http.url, c.line);
      assert.equal(res.status, c.status, res.body);
      if (c.type) assert.match(res.headers["content-type"] ?? "", c.type);
      if (c.cache) assert.equal(res.headers["cache-control"], c.cache);
      if (c.status === 200) {
        assert.equal(res.headers["x-content-type-options"], "nosniff");
        assert.match(res.headers.etag ?? "", /^"[\w-]+"$/);
      }
      if (c.line.startsWith("HEAD")) assert.equal(res.body, "");
      if (c.status === 404) assert.equal(JSON.parse(res.body).code, 5);
    });
  }

  test("the page: escaped title, relative assets, no inline script, a CSP", async () => {
    const res = await raw(http.url, "GET /api/docs");
    assert.match(res.body, /<title>Docs &#60;test&#62;<\/title>/);
    assert.match(res.body, /src="docs\/swagger-ui-bundle\.js"/);
    assert.doesNotMatch(res.body, /<script>/);
    assert.match(res.headers["content-security-policy"] ?? "", /script-src 'self'/);
    const init = await raw(http.url, "GET /api/docs/init.js");
    assert.match(init.body, /"openapi\.json"/);
  });

  test("If-None-Match answers 304", async () => {
    const first = await raw(http.url, "GET /api/docs/swagger-ui.css");
    const etag = first.headers.etag ?? "";
    for (const header of [etag, `W/"other", ${etag}`, "*"]) {
      const again = await raw(http.url, "GET /api/docs/swagger-ui.css", {
        "If-None-Match": header,
      });
      assert.equal(again.status, 304, header);
    }
    const other = await raw(http.url, "GET /api/docs/swagger-ui.css", { "If-None-Match": '"x"' });
    assert.equal(other.status, 200);
  });

  test("the document as given", async () => {
    const res = await raw(http.url, "GET /api/openapi.json");
    assert.deepEqual(JSON.parse(res.body), spec);
  });
});

describe("mountDocs refuses bad options at once", () => {
  const cases: Array<[string, Parameters<typeof mountDocs>[1], RegExp]> = [
    ["not JSON", { spec: "{" }, /spec is not a JSON object/],
    ["a path with ..", { spec, path: "/a/../docs" }, /not a plain absolute path/],
    ["a relative path", { spec, specPath: "openapi.json" }, /not a plain absolute path/],
    ["a template", { spec, path: "/{x}" }, /not a plain absolute path/],
  ];
  for (const [name, options, error] of cases) {
    test(name, () => assert.throws(() => mountDocs(new Mux(), options), error));
  }
});
