// Malformed Connect, gRPC-Web and gRPC calls against the example (npm start,
// all four protocols on) running as a child process: bad length prefixes,
// truncated frames, flags set, a 2 GB length, wrong content types, gRPC-Web
// text that is not base64, an over-long Connect GET. Each gets that
// protocol's own error, and the process stays up and answers.
import assert from "node:assert/strict";
import { connect as h2connect } from "node:http2";
import { after, before, describe, test } from "node:test";
import { type ExampleProcess, startExample } from "../support/example-process.js";

/** A frame: flags byte, big-endian length, payload (the length may lie). */
function frame(flags: number, payload: Uint8Array, length = payload.length): Uint8Array {
  const out = new Uint8Array(5 + payload.length);
  out[0] = flags;
  new DataView(out.buffer).setUint32(1, length);
  out.set(payload, 5);
  return out;
}

/** The status of a gRPC-Web answer: trailers-only headers, else its trailer frame. */
function grpcWebStatus(headers: Headers, body: Uint8Array): number | undefined {
  const h = headers.get("grpc-status");
  if (h !== null) return Number(h);
  let i = 0;
  while (i + 5 <= body.length) {
    const flags = body[i] as number;
    const len = new DataView(body.buffer, body.byteOffset + i + 1, 4).getUint32(0);
    const payload = new TextDecoder().decode(body.subarray(i + 5, i + 5 + len));
    if ((flags & 0x80) !== 0) {
      const m = /grpc-status:\s*(\d+)/i.exec(payload);
      return m ? Number(m[1]) : undefined;
    }
    i += 5 + len;
  }
  return undefined;
}

/** A gRPC-Web text body decoded as a client does: padding may end any 4-character group. */
function fromText(body: Uint8Array): Uint8Array {
  const text = new TextDecoder().decode(body);
  const parts: Buffer[] = [];
  for (let i = 0; i < text.length; i += 4) parts.push(Buffer.from(text.slice(i, i + 4), "base64"));
  return Buffer.concat(parts);
}

/** The error code of a Connect stream's end-of-stream message. */
function connectEndCode(body: Uint8Array): string | undefined {
  let i = 0;
  while (i + 5 <= body.length) {
    const flags = body[i] as number;
    const len = new DataView(body.buffer, body.byteOffset + i + 1, 4).getUint32(0);
    if ((flags & 0x02) !== 0) {
      const end = JSON.parse(new TextDecoder().decode(body.subarray(i + 5, i + 5 + len))) as {
        error?: { code?: string };
      };
      return end.error?.code;
    }
    i += 5 + len;
  }
  return undefined;
}

describe("adversarial: malformed RPC calls to the example as a child process", {
  timeout: 120_000,
}, () => {
  let gw: ExampleProcess;
  let h2cPort = 0;

  before(async () => {
    gw = await startExample();
    const m = /gRPC \(h2c\)\s+127\.0\.0\.1:(\d+)/.exec(gw.output());
    assert.ok(m, gw.output());
    h2cPort = Number(m[1]);
  });
  after(() => gw.kill());

  async function post(path: string, contentType: string, body: Uint8Array | string) {
    const res = await fetch(`${gw.url}${path}`, {
      method: "POST",
      headers: { "content-type": contentType },
      body,
    });
    return {
      status: res.status,
      headers: res.headers,
      body: new Uint8Array(await res.arrayBuffer()),
    };
  }

  async function healthy(what: string): Promise<void> {
    assert.ok(gw.alive(), `${what}: the gateway died:\n${gw.output().slice(-3000)}`);
    const res = await fetch(`${gw.url}/library.v1.LibraryService/ListShelves`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    assert.equal(res.status, 200, what);
    await res.text();
  }

  const path = "/library.v1.LibraryService/ListShelves";
  const watch = "/library.v1.LibraryService/WatchShelf";
  // ListShelvesRequest{page_size: 1}
  const message = new Uint8Array([0x08, 0x01]);

  const grpcWebCases: Array<{
    name: string;
    body: Uint8Array | string;
    contentType?: string;
    code: number;
  }> = [
    {
      name: "a length prefix longer than the body (truncated frame)",
      body: frame(0, message, 100),
      code: 3,
    },
    { name: "a frame cut inside its prefix", body: new Uint8Array([0, 0, 0]), code: 3 },
    { name: "the compressed flag without grpc-encoding", body: frame(1, message), code: 3 },
    { name: "a 2 GB length", body: frame(0, message, 0x7fffffff), code: 8 },
    {
      name: "gRPC-Web text that is not base64",
      body: "this is not base64!",
      contentType: "application/grpc-web-text",
      code: 3,
    },
  ];
  for (const c of grpcWebCases) {
    test(`gRPC-Web: ${c.name}`, async () => {
      const res = await post(path, c.contentType ?? "application/grpc-web+proto", c.body);
      assert.equal(res.status, 200);
      const text = (c.contentType ?? "").includes("text");
      const status = grpcWebStatus(res.headers, text ? fromText(res.body) : res.body);
      assert.ok(status !== undefined && status !== 0, `status ${status}`);
      if (c.code !== 3) assert.equal(status, c.code);
      await healthy(c.name);
    });
  }

  test("gRPC-Web text: a well-formed call is answered in base64", async () => {
    const body = Buffer.from(frame(0, message)).toString("base64");
    const res = await post(path, "application/grpc-web-text", body);
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type") ?? "", /^application\/grpc-web-text/);
    const decoded = fromText(res.body);
    assert.equal(grpcWebStatus(new Headers(), decoded), 0);
  });

  test("Connect streaming: a truncated frame and a 2 GB length end the stream with an error", async () => {
    for (const [body, code] of [
      [frame(0, message, 50), "invalid_argument"],
      [frame(0, message, 0x7fffffff), "resource_exhausted"],
    ] as const) {
      const res = await post(watch, "application/connect+proto", body);
      assert.equal(res.status, 200);
      const got = connectEndCode(res.body);
      assert.ok(got !== undefined && got !== "ok", `end-stream code ${got}`);
      if (code === "resource_exhausted") assert.equal(got, code);
    }
    await healthy("connect streaming");
  });

  test("wrong content types are answered 415 (Connect) without reaching the backend", async () => {
    for (const type of ["text/plain", "application/xml", "application/grpc-web+thrift"]) {
      const res = await post(path, type, "x");
      assert.equal(res.status, 415, type);
    }
    const bad = await post(path, "application/json", "{not json");
    assert.equal(bad.status, 400);
    assert.equal(
      (JSON.parse(new TextDecoder().decode(bad.body)) as { code: string }).code,
      "invalid_argument",
    );
    await healthy("content types");
  });

  test("a Connect GET with a long message: resource_exhausted, and 431 past Node's header limit", async () => {
    const listBooks = "/library.v1.LibraryService/ListShelves";
    const long = await fetch(
      `${gw.url}${listBooks}?connect=v1&encoding=json&message=${encodeURIComponent(JSON.stringify({ pageToken: "x".repeat(10_000) }))}`,
    );
    // ListShelves has no side-effect-free option: GET is not allowed there, whatever the length.
    assert.ok(long.status === 429 || long.status === 405, String(long.status));
    await long.text();
    const huge = await fetch(
      `${gw.url}${listBooks}?connect=v1&encoding=json&message=${"x".repeat(1_000_000)}`,
    );
    assert.equal(huge.status, 431);
    await huge.text();
    await healthy("connect get");
  });

  test("gRPC over h2c: a 2 GB length and a truncated frame get grpc-status in the trailers", async () => {
    const session = h2connect(`http://127.0.0.1:${h2cPort}`);
    session.on("error", () => {});
    try {
      for (const body of [frame(0, message, 0x7fffffff), frame(0, message, 60)]) {
        const status = await new Promise<string | undefined>((resolve, reject) => {
          const stream = session.request({
            ":method": "POST",
            ":path": path,
            "content-type": "application/grpc",
            te: "trailers",
          });
          let status: string | undefined;
          stream.on("response", (h) => {
            if (h["grpc-status"] !== undefined) status = String(h["grpc-status"]);
          });
          stream.on("trailers", (t) => {
            status = String(t["grpc-status"]);
          });
          stream.on("data", () => {});
          stream.on("end", () => resolve(status));
          stream.on("error", reject);
          stream.end(body);
        });
        assert.ok(status !== undefined && status !== "0", `grpc-status ${status}`);
      }
    } finally {
      session.destroy();
    }
    await healthy("grpc");
  });
});
