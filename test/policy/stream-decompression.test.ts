// Content-Encoding of streamed request bodies (client streaming and bidi over
// plain HTTP): gzip, deflate and br decoded as a stream, `maxRequestBytes`
// applied to each decoded message (and to the whitespace between two), other
// encodings a 415; and a decompression bomb against the example, in a child
// process whose memory the test watches.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { after, before, describe, test } from "node:test";
import * as zlib from "node:zlib";
import {
  type BackendMode,
  type StreamGateway,
  startStreamGateway,
} from "../streaming/stream-fixture.js";
import { type ExampleProcess, startExample } from "../support/example-process.js";

interface Row {
  name: string;
  path: string;
  encoding: string;
  body: Buffer;
  status: number;
  /** Checks the answer's text. */
  expect: RegExp;
}

const ndjson = (lines: string[]) => Buffer.from(`${lines.join("\n")}\n`);
const gzip = (b: Buffer) => zlib.gzipSync(b);

/** With maxRequestBytes 64. */
const rows: Row[] = [
  {
    name: "gzip client stream",
    path: "/v1/sums/g",
    encoding: "gzip",
    body: gzip(ndjson(['{"value":1}', '{"value":2}', '{"value":3}'])),
    status: 200,
    expect: /"total":6/,
  },
  {
    name: "deflate client stream",
    path: "/v1/sums/d",
    encoding: "deflate",
    body: zlib.deflateSync(ndjson(['{"value":4}', '{"value":5}'])),
    status: 200,
    expect: /"total":9/,
  },
  {
    name: "br client stream",
    path: "/v1/sums/b",
    encoding: "br",
    body: zlib.brotliCompressSync(ndjson(['{"value":7}'])),
    status: 200,
    expect: /"total":7/,
  },
  {
    name: "identity, gzip is gzip",
    path: "/v1/sums/i",
    encoding: "identity, gzip",
    body: gzip(ndjson(['{"value":2}'])),
    status: 200,
    expect: /"total":2/,
  },
  {
    name: "many messages far beyond the limit in total (the limit is per message)",
    path: "/v1/sums/m",
    encoding: "gzip",
    body: gzip(ndjson(Array.from({ length: 500 }, () => '{"value":1}'))),
    status: 200,
    expect: /"total":500/,
  },
  {
    name: "gzip bidi stream",
    path: "/v1/rooms/z:echo",
    encoding: "gzip",
    body: gzip(ndjson(['{"text":"hi"}', '{"text":"there"}'])),
    status: 200,
    expect: /"HI"[\s\S]*"THERE"/,
  },
  {
    name: "a message over the limit once decoded (small when encoded)",
    path: "/v1/sums/o",
    encoding: "gzip",
    body: gzip(Buffer.from(`{"value":1}\n{"label":"${"x".repeat(10_000)}"}\n`)),
    status: 413,
    expect: /a request message is larger than 64 bytes/,
  },
  {
    name: "whitespace between messages over the limit once decoded",
    path: "/v1/sums/w",
    encoding: "gzip",
    body: gzip(Buffer.from(`{"value":1}${" ".repeat(10_000)}{"value":2}`)),
    status: 413,
    expect: /whitespace between request messages is larger than 64 bytes/,
  },
  {
    name: "data that is not gzip",
    path: "/v1/sums/x",
    encoding: "gzip",
    body: Buffer.from('{"value":1}\n'),
    status: 400,
    expect: /not valid gzip/,
  },
  {
    name: "a gzip stream cut off",
    path: "/v1/sums/c",
    encoding: "gzip",
    body: gzip(ndjson(['{"value":1}', '{"value":2}'])).subarray(0, 20),
    status: 400,
    expect: /"code":3/,
  },
  {
    name: "an unsupported encoding",
    path: "/v1/sums/u",
    encoding: "zstd",
    body: Buffer.from('{"value":1}\n'),
    status: 415,
    expect: /unsupported Content-Encoding \\"zstd/,
  },
  {
    name: "two encodings",
    path: "/v1/rooms/t:echo",
    encoding: "gzip, br",
    body: zlib.brotliCompressSync(gzip(ndjson(['{"text":"x"}']))),
    status: 415,
    expect: /unsupported Content-Encoding \\"gzip, br/,
  },
];

/** One POST with the body as given (node:http: no encoding of its own). */
function post(
  url: string,
  headers: Record<string, string>,
  body: Buffer,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: "POST", headers }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => {
        text += c;
      });
      res.on("error", reject);
      res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
    });
    // The gateway may answer (413) before it read the whole body and close the connection.
    req.on("error", reject);
    req.end(body);
  });
}

for (const mode of ["remote", "local"] as BackendMode[]) {
  describe(`encoded request streams (${mode} backend)`, () => {
    let gw: StreamGateway;
    before(async () => {
      gw = await startStreamGateway(mode, { maxRequestBytes: 64 });
    });
    after(() => gw.close());

    for (const row of rows) {
      test(`${row.name}: ${row.status}`, async () => {
        const a = await post(
          `${gw.url}${row.path}`,
          { "content-type": "application/x-ndjson", "content-encoding": row.encoding },
          row.body,
        );
        assert.equal(a.status, row.status, a.text);
        assert.match(a.text, row.expect);
      });
    }
  });
}

/** The resident set of a process, in MiB (/proc/<pid>/status). */
function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN);
  return kb / 1024;
}

/** `count` gzip members of 64 MiB of `fill` each, after a first member with `prefix` (gunzip reads concatenated members). */
function bomb(prefix: string, fill: string, count: number): Buffer {
  const member = zlib.gzipSync(Buffer.alloc(64 * 1024 * 1024, fill), { level: 9 });
  return Buffer.concat([zlib.gzipSync(prefix), ...Array.from({ length: count }, () => member)]);
}

describe("a decompression bomb on a bidi stream of the example (child process)", () => {
  let example: ExampleProcess;
  let shelf: string;
  before(async () => {
    example = await startExample();
    const created = await fetch(`${example.url}/v1/shelves`, {
      method: "POST",
      body: JSON.stringify({ theme: "Bombs" }),
      headers: { "content-type": "application/json" },
    });
    shelf = ((await created.json()) as { name: string }).name;
  });
  after(() => example.kill());

  const bombs = [
    { name: "one message of 1 GiB", prefix: '{"user":"u","text":"', fill: "a" },
    // The first message joins the discussion (an empty text posts nothing, so no answer starts).
    { name: "1 GiB of whitespace between messages", prefix: '{"user":"u"}', fill: " " },
  ];
  for (const b of bombs) {
    test(`${b.name} in 1 MB of gzip: 413 without expanding it, the process alive`, async (t) => {
      const body = bomb(b.prefix, b.fill, 16);
      assert.ok(body.length < 1.5 * 1024 * 1024, `${body.length} bytes`);
      const before = rssMiB(example.pid);
      let peak = before;
      const sampler = setInterval(() => {
        peak = Math.max(peak, rssMiB(example.pid));
      }, 5);
      let a: { status: number; text: string };
      try {
        a = await post(
          `${example.url}/v1/${shelf}:discuss`,
          { "content-type": "application/x-ndjson", "content-encoding": "gzip" },
          body,
        );
      } finally {
        clearInterval(sampler);
      }
      t.diagnostic(`gateway RSS ${before.toFixed(0)} MiB, peak +${(peak - before).toFixed(1)} MiB`);
      assert.equal(a.status, 413, a.text);
      assert.match(a.text, /larger than 4194304 bytes/);
      assert.ok(peak - before < 100, `the gateway grew by ${(peak - before).toFixed(0)} MiB`);
      assert.ok(example.alive(), example.output());
      const shelves = await fetch(`${example.url}/v1/shelves`);
      assert.equal(shelves.status, 200);
      await shelves.text();
    });
  }
});
