// Compression: responses by Accept-Encoding above a threshold, streams with
// every message flushed through the compressor (a hanging NDJSON/SSE stream
// delivers its messages before it ends), request bodies decoded with the size
// limit applied after decoding (a 1 MB gzip of 1 GB is a 413, memory
// watched), and unsupported or broken encodings refused.
import assert from "node:assert/strict";
import { request as httpRequest } from "node:http";
import { after, before, describe, test } from "node:test";
import * as zlib from "node:zlib";
import type { CallOutcome, Middleware } from "@ts-gateway/runtime";
import { gatewayMetrics } from "@ts-gateway/runtime/metrics";
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

/** The response size the metric recorded for a route: its histogram's `_sum`. */
async function responseSizeSum(metrics: ReturnType<typeof gatewayMetrics>, route: string) {
  const metric = await metrics.registry.getSingleMetric("grpc_gateway_response_size_bytes")?.get();
  const sum = metric?.values.find(
    (v) =>
      (v as { metricName?: string }).metricName === "grpc_gateway_response_size_bytes_sum" &&
      v.labels.route === route,
  );
  return sum?.value ?? 0;
}

for (const mode of modes) {
  describe(`bytesOut counts the bytes on the wire (${mode})`, () => {
    // Metrics and an outcome recorder outside the compression middleware, and inside it: the same count.
    const outer = gatewayMetrics({ collectDefaultMetrics: false });
    const inner = gatewayMetrics({ collectDefaultMetrics: false });
    const outcomes: Array<{ where: string; outcome: CallOutcome }> = [];
    const record =
      (where: string): Middleware =>
      async (_call, next) => {
        outcomes.push({ where, outcome: { ...(await next()) } });
      };
    let g: PipelineGateway;
    before(async () => {
      g = await startPipelineGateway(mode, [
        outer.middleware,
        record("outer"),
        compression({ encodings: ["gzip"] }),
        record("inner"),
        inner.middleware,
      ]);
    });
    after(() => g.close());

    const rows = [
      {
        name: "unary, compressed",
        path: `/v1/echo/${long}`,
        accept: "gzip",
        route: "/v1/echo/{text}",
      },
      {
        name: "unary, not compressed",
        path: `/v1/echo/${long}`,
        accept: "",
        route: "/v1/echo/{text}",
      },
      {
        name: "a stream, compressed",
        path: "/v1/flood?count=20&size=2000",
        accept: "gzip",
        route: "/v1/flood",
      },
      {
        name: "an error, compressed",
        path: `/v1/fail/5?message=${long}`,
        accept: "gzip",
        route: "/v1/fail/{code}",
      },
    ];
    for (const row of rows) {
      test(`${row.name}: bytesOut and the response size metric are the body's wire bytes`, async () => {
        outcomes.length = 0;
        const sums = [
          await responseSizeSum(outer, row.route),
          await responseSizeSum(inner, row.route),
        ];
        const a = await raw(`${g.url}${row.path}`, { headers: { "accept-encoding": row.accept } });
        assert.equal(a.headers["content-encoding"], row.accept === "" ? undefined : "gzip");
        const wire = a.body.length;
        if (row.accept !== "") assert.ok(zlib.gunzipSync(a.body).length > wire * 3, "compressed");
        assert.deepEqual(
          outcomes.map((o) => [o.where, o.outcome.bytesOut]),
          [
            ["inner", wire],
            ["outer", wire],
          ],
        );
        assert.equal((await responseSizeSum(outer, row.route)) - (sums[0] ?? 0), wire);
        assert.equal((await responseSizeSum(inner, row.route)) - (sums[1] ?? 0), wire);
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
