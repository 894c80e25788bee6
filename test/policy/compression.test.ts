// Compression: responses by Accept-Encoding above a threshold, streams with
// every message flushed through the compressor (a hanging NDJSON/SSE stream
// delivers its messages before it ends), request bodies decoded with the size
// limit applied after decoding (a 1 MB gzip of 1 GB is a 413, memory
// watched), and unsupported or broken encodings refused.
import assert from "node:assert/strict";
import { request as httpRequest } from "node:http";
import { after, before, describe, test } from "node:test";
import * as zlib from "node:zlib";
import { compression, negotiate } from "@ts-gateway/runtime/policy";
import { modes, type PipelineGateway, startPipelineGateway } from "../pipeline/pipeline-fixture.js";

/** One exchange with the raw (still encoded) body. */
function raw(
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: Buffer } = {},
): Promise<{
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      url,
      { method: init.method ?? "GET", headers: init.headers ?? {} },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("error", reject);
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks),
          }),
        );
      },
    );
    req.on("error", reject);
    req.end(init.body);
  });
}

const decoders: Record<string, (b: Buffer) => Buffer> = {
  gzip: zlib.gunzipSync,
  br: zlib.brotliDecompressSync,
  deflate: zlib.inflateSync,
};
const long = "a".repeat(3000);

for (const mode of modes) {
  describe(`compression (${mode})`, () => {
    let g: PipelineGateway;
    before(async () => {
      g = await startPipelineGateway(mode, [compression({ encodings: ["br", "gzip", "deflate"] })]);
    });
    after(() => g.close());

    const rows = [
      { accept: "gzip", encoding: "gzip", path: `/v1/echo/${long}` },
      { accept: "br;q=1, gzip;q=0.5", encoding: "br", path: `/v1/echo/${long}` },
      { accept: "gzip;q=0.2, deflate", encoding: "deflate", path: `/v1/echo/${long}` },
      { accept: "*", encoding: "br", path: `/v1/echo/${long}` },
      { accept: "gzip;q=0, identity", encoding: undefined, path: `/v1/echo/${long}` },
      { accept: "", encoding: undefined, path: `/v1/echo/${long}` },
      { accept: "gzip", encoding: undefined, path: "/v1/echo/short" },
    ];
    for (const row of rows) {
      test(`Accept-Encoding "${row.accept}" on ${row.path.length} chars: ${row.encoding ?? "identity"}`, async () => {
        const plain = await raw(`${g.url}${row.path}`);
        const a = await raw(`${g.url}${row.path}`, { headers: { "accept-encoding": row.accept } });
        assert.equal(a.status, 200);
        assert.equal(a.headers["content-encoding"], row.encoding);
        const body =
          row.encoding === undefined
            ? a.body
            : (decoders[row.encoding] as (b: Buffer) => Buffer)(a.body);
        assert.deepEqual(body.toString(), plain.body.toString());
        if (row.encoding !== undefined) assert.ok(a.body.length < plain.body.length / 5);
      });
    }

    test("an error answer is compressed too, and HEAD is not", async () => {
      const err = await raw(`${g.url}/v1/fail/5?message=${long}`, {
        headers: { "accept-encoding": "gzip" },
      });
      assert.equal(err.status, 404);
      assert.equal(err.headers["content-encoding"], "gzip");
      assert.match(zlib.gunzipSync(err.body).toString(), /"code":5/);
      const head = await raw(`${g.url}/v1/echo/${long}`, {
        method: "HEAD",
        headers: { "accept-encoding": "gzip" },
      });
      assert.equal(head.headers["content-encoding"], undefined);
    });

    for (const [name, accept, decoder] of [
      ["NDJSON, gzip", "application/x-ndjson", zlib.createGunzip],
      ["SSE, br", "text/event-stream", zlib.createBrotliDecompress],
    ] as const) {
      test(`a stream (${name}): each message arrives while the stream is still open`, async () => {
        const encoding = decoder === zlib.createGunzip ? "gzip" : "br";
        const text = await new Promise<string>((resolve, reject) => {
          const req = httpRequest(
            `${g.url}/v1/count/2?hang=true`,
            { headers: { accept, "accept-encoding": encoding } },
            (res) => {
              assert.equal(res.headers["content-encoding"], encoding);
              const d = decoder();
              let out = "";
              d.on("data", (c: Buffer) => {
                out += c;
                // Two messages decoded while the backend still holds the stream open.
                if ((out.match(/"value"/g) ?? []).length === 2) {
                  req.destroy();
                  resolve(out);
                }
              });
              d.on("error", () => {});
              res.on("error", () => {});
              res.pipe(d);
            },
          );
          req.on("error", () => {});
          req.end();
          setTimeout(() => reject(new Error("messages held back by the compressor")), 5000).unref();
        });
        assert.match(text, /"value"/);
      });
    }

    const bodies = [
      { name: "gzip", encoding: "gzip", encode: zlib.gzipSync, status: 200 },
      { name: "deflate", encoding: "deflate", encode: zlib.deflateSync, status: 200 },
      { name: "br", encoding: "br", encode: zlib.brotliCompressSync, status: 200 },
      { name: "identity", encoding: "identity", encode: (b: Buffer) => b, status: 200 },
      {
        name: "an unsupported coding",
        encoding: "compress",
        encode: (b: Buffer) => b,
        status: 415,
      },
      { name: "gzip that is not gzip", encoding: "gzip", encode: (b: Buffer) => b, status: 400 },
    ];
    for (const row of bodies) {
      test(`a request body in ${row.name}: ${row.status}`, async () => {
        const a = await raw(`${g.url}/v1/echo`, {
          method: "POST",
          headers: { "content-type": "application/json", "content-encoding": row.encoding },
          body: row.encode(Buffer.from('{"text":"packed"}')),
        });
        assert.equal(a.status, row.status, a.body.toString());
        if (row.status === 200) assert.match(a.body.toString(), /packed/);
      });
    }
  });
}

describe("a decompression bomb", () => {
  let g: PipelineGateway;
  before(async () => {
    g = await startPipelineGateway("local", [], { maxRequestBytes: 1024 * 1024 });
  });
  after(() => g.close());
  test("1 MB of gzip expanding to 1 GB: 413, without expanding it", async () => {
    // 16 gzip members of 64 MiB of zeros each (gunzip reads concatenated members).
    const member = zlib.gzipSync(Buffer.alloc(64 * 1024 * 1024), { level: 9 });
    const bomb = Buffer.concat(Array.from({ length: 16 }, () => member));
    assert.ok(bomb.length < 1.5 * 1024 * 1024, `${bomb.length} bytes`);
    const rssBefore = process.memoryUsage().rss;
    let peak = rssBefore;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 5);
    try {
      const a = await raw(`${g.url}/v1/echo`, {
        method: "POST",
        headers: { "content-type": "application/json", "content-encoding": "gzip" },
        body: bomb,
      });
      assert.equal(a.status, 413, a.body.toString());
      assert.match(a.body.toString(), /larger than 1048576 bytes/);
    } finally {
      clearInterval(sampler);
    }
    const grew = (peak - rssBefore) / 1024 / 1024;
    assert.ok(grew < 100, `memory grew by ${grew.toFixed(0)} MiB`);
  });
});

test("negotiate: q-values and our preference", () => {
  const rows: Array<[string | undefined, string | undefined]> = [
    [undefined, undefined],
    ["gzip", "gzip"],
    ["gzip, br", "br"],
    ["br;q=0.1, gzip", "gzip"],
    ["*;q=0.5, br;q=0", "gzip"],
    ["identity", undefined],
    ["GZIP", "gzip"],
  ];
  for (const [accept, expected] of rows)
    assert.equal(negotiate(accept, ["br", "gzip"]), expected, accept);
});
