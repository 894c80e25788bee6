// Multipart uploads against a gateway child process (node:http, no Express)
// in front of a real grpc-js backend: a 64 MiB upload into the client-streaming
// Upload with a slow backend (checksum, bounded memory, the client slowed
// down), then hostile bodies: each answers a clear error in bounded time and
// the child stays alive. (1 GiB: `npm run test:upload-large`.)
import assert from "node:assert/strict";
import { connect } from "node:net";
import { after, before, describe, test } from "node:test";
import {
  startUploadBackend,
  startUploadGateway,
  streamUpload,
  type UploadBackend,
  type UploadGateway,
} from "../support/upload-fixture.js";

const MiB = 1024 * 1024;
const boundary = "b0undary";
const head = (path: string, extra = "") =>
  `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=${boundary}\r\n${extra}`;

/** Sends raw bytes on one connection; resolves with what came back when the server answers or closes. */
function raw(
  port: number,
  chunks: () => AsyncIterable<string | Buffer> | Iterable<string | Buffer>,
  timeoutMs = 30_000,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    let answer = "";
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer in ${timeoutMs}ms; got ${JSON.stringify(answer.slice(0, 200))}`));
    }, timeoutMs);
    const finish = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve(answer);
    };
    socket.on("data", (d) => {
      answer += d.toString("latin1");
      // One answer is enough: the status line and a complete JSON body.
      if (/\r\n\r\n[\s\S]*\}$/.test(answer)) finish();
    });
    socket.on("close", finish);
    socket.on("error", () => {});
    void (async () => {
      for await (const c of chunks()) {
        if (socket.destroyed) return;
        if (!socket.write(c)) await new Promise((r) => socket.once("drain", r));
      }
    })().catch(() => {});
  });
}

const status = (answer: string) => Number(/^HTTP\/1\.1 (\d+)/.exec(answer)?.[1] ?? 0);

describe("multipart uploads through a gateway child", { timeout: 240_000 }, () => {
  let backend: UploadBackend;
  let gateway: UploadGateway;
  before(async () => {
    backend = await startUploadBackend();
    gateway = await startUploadGateway(backend.address, {
      BODY_IDLE_TIMEOUT_MS: "1500",
      MAX_REQUEST_BYTES: String(MiB),
    });
  });
  after(async () => {
    await gateway?.kill();
    await backend?.close();
  });

  test("64 MiB into a slow client-streaming backend: every byte, bounded memory, the client slowed", async () => {
    const idle = await gateway.rss();
    backend.delayMs = 1;
    const before = backend.received;
    let maxAhead = 0;
    let peak = idle;
    const sampler = setInterval(() => {
      void gateway.rss().then(
        (rss) => {
          peak = Math.max(peak, rss);
        },
        () => {},
      );
    }, 500);
    const size = 64 * MiB;
    const result = await streamUpload(`${gateway.url}/v1/uploads`, size, (sent) => {
      maxAhead = Math.max(maxAhead, sent - (backend.received - before));
    }).finally(() => clearInterval(sampler));
    backend.delayMs = 0;
    assert.equal(result.status, 200, result.body);
    const answer = JSON.parse(result.body);
    assert.equal(answer.size, String(size));
    assert.equal(answer.sha256, result.sha256);
    assert.equal(answer.description, "big");
    assert.equal(answer.messages, 1 + size / (64 * 1024));
    // The client is never far ahead of the backend: socket and HTTP/2 buffers, not the file.
    assert.ok(maxAhead < 24 * MiB, `client ran ${maxAhead} bytes ahead of the backend`);
    assert.ok(peak - idle < 100 * MiB, `gateway RSS grew ${(peak - idle) / MiB} MiB`);
  });

  const cases: Array<{
    name: string;
    send: () => AsyncIterable<string | Buffer> | Iterable<string | Buffer>;
    status: number | RegExp;
    error?: RegExp;
  }> = [
    {
      name: "100,000 tiny parts",
      send: function* () {
        const part = `--${boundary}\r\nContent-Disposition: form-data; name="description"\r\n\r\nx\r\n`;
        const body = `${part.repeat(100_000)}--${boundary}--\r\n`;
        yield `${head("/v1/uploads", `Content-Length: ${body.length}\r\n`)}\r\n`;
        yield body;
      },
      status: 413,
      error: /more than 1000 parts/,
    },
    {
      // busboy reads at most maxHeaderBytes (16 KiB) of a part's headers and
      // would go on with the rest dropped: the gateway refuses the body.
      name: "a part with a 1 MB header",
      send: function* () {
        const body =
          `--${boundary}\r\nContent-Disposition: form-data; name="description"\r\nX-Pad: ${"a".repeat(MiB)}\r\n\r\nx\r\n` +
          `--${boundary}--\r\n`;
        yield `${head("/v1/uploads", `Content-Length: ${body.length}\r\n`)}\r\n`;
        yield body;
      },
      status: 413,
      error: /part's headers are larger than 16384 bytes/,
    },
    {
      // The cut falls inside the filename: without the check the file would
      // reach the backend under a 16 KiB prefix of its name.
      name: "a filename longer than the header limit",
      send: function* () {
        const body =
          `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${"f".repeat(20_000)}.txt"\r\nContent-Type: text/plain\r\n\r\nhello\r\n` +
          `--${boundary}--\r\n`;
        yield `${head("/v1/uploads", `Content-Length: ${body.length}\r\n`)}\r\n`;
        yield body;
      },
      status: 413,
      error: /part's headers are larger than 16384 bytes/,
    },
    {
      name: "a never-ending text part (no closing boundary) into a buffered route",
      send: async function* () {
        yield `${head("/v1/shelves", "Transfer-Encoding: chunked\r\n")}\r\n`;
        const chunk = "a".repeat(64 * 1024);
        const piece = (s: string) => `${s.length.toString(16)}\r\n${s}\r\n`;
        yield piece(`--${boundary}\r\nContent-Disposition: form-data; name="theme"\r\n\r\n`);
        for (let i = 0; i < 10_000; i++) yield piece(chunk);
      },
      status: 413,
      error: /larger than/,
    },
    {
      name: "nested multipart",
      send: function* () {
        const body =
          `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="n"\r\n` +
          `Content-Type: multipart/mixed; boundary=inner\r\n\r\n--inner\r\n\r\nx\r\n--inner--\r\n` +
          `--${boundary}--\r\n`;
        yield `${head("/v1/uploads", `Content-Length: ${body.length}\r\n`)}\r\n`;
        yield body;
      },
      status: 400,
      error: /nested multipart/,
    },
    {
      name: "a filename with ../ and a CR LF inside quotes",
      send: function* () {
        const body =
          `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="../../x\rContent-Type: text/html"\r\n\r\nx\r\n` +
          `--${boundary}--\r\n`;
        yield `${head("/v1/uploads", `Content-Length: ${body.length}\r\n`)}\r\n`;
        yield body;
      },
      status: /^(200|400)$/,
    },
    {
      name: "a truncated body (the connection ends mid-file)",
      send: function* () {
        const body =
          `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="t.bin"\r\n\r\n` +
          "x".repeat(300_000);
        yield `${head("/v1/uploads", `Content-Length: ${body.length + 100}\r\n`)}\r\n`;
        yield body;
      },
      // The client never finishes: the body idle timeout answers 408.
      status: 408,
    },
  ];
  for (const c of cases) {
    test(c.name, async () => {
      const answer = await raw(gateway.port, c.send);
      const code = status(answer);
      if (typeof c.status === "number") assert.equal(code, c.status, answer.slice(0, 300));
      else assert.match(String(code), c.status, answer.slice(0, 300));
      if (c.error !== undefined) assert.match(answer, c.error);
      assert.ok(gateway.alive(), gateway.output());
      // Still answers a clean upload.
      const ok = await streamUpload(`${gateway.url}/v1/uploads`, MiB);
      assert.equal(ok.status, 200, ok.body);
      assert.equal(JSON.parse(ok.body).sha256, ok.sha256);
    });
  }

  test("a filename with ../ uploads under its part name; the answer checks out", async () => {
    const body =
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="../../etc/passwd"\r\n\r\nhello\r\n` +
      `--${boundary}--\r\n`;
    const res = await fetch(`${gateway.url}/v1/uploads`, {
      method: "POST",
      headers: { "content-type": `multipart/form-data; boundary=${boundary}` },
      body,
    });
    const answer = (await res.json()) as { size: string };
    assert.equal(res.status, 200);
    assert.equal(answer.size, "5");
  });

  test("a body that ends mid-file is a 400, and the gateway stays up", async () => {
    const body =
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="t.bin"\r\n\r\n` +
      "x".repeat(300_000);
    // The client ends its body after part of the file: no closing boundary.
    const answer = await raw(gateway.port, function* () {
      yield `${head("/v1/uploads", "Transfer-Encoding: chunked\r\n")}\r\n`;
      yield `${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`;
    });
    assert.equal(status(answer), 400, answer.slice(0, 300));
    assert.match(answer, /malformed multipart/);
    assert.ok(gateway.alive());
  });
});
