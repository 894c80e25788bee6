// Attacks on the example gateway running as a child process (issue 10): the
// fuzz mix with streaming routes and tiny deadlines, raw WebSocket frames,
// upgrade abuse, slow headers and bodies, Node parser errors. After each
// group the process must be alive with no uncaughtException handler, answer,
// hold no more fds than before (+ a margin) and have a clean Object.prototype.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import { WebSocket } from "ws";
import { type ExampleProcess, startExample } from "../support/example-process.js";
import { type Exchange, exchange, Refused, webSocketClose } from "../support/exchange.js";
import { prng } from "../support/prng.js";
import {
  closeCodeOf,
  parseHttp,
  rawConnect,
  rawWebSocket,
  trickle,
  wsFrame,
} from "../support/raw-socket.js";

const cleanPrototype = Object.getOwnPropertyNames(Object.prototype).sort();

/** Undefined when `json` is the gateway's DEADLINE_EXCEEDED status, else what is wrong with it. */
function statusProblem(label: string, json: string): string | undefined {
  try {
    const status = JSON.parse(json) as { code?: unknown; message?: unknown };
    if (status.code === 4 && status.message === "deadline exceeded") return undefined;
  } catch {}
  return `${label}: not DEADLINE_EXCEEDED: ${json}`;
}
const fdMargin = 8;

describe("adversarial: the example gateway as a child process", () => {
  let gw: ExampleProcess;
  let baselineFds = 0;

  before(async () => {
    gw = await startExample({
      HEADERS_TIMEOUT_MS: "1000",
      BODY_IDLE_TIMEOUT_MS: "1000",
      KEEP_ALIVE_TIMEOUT_MS: "1500",
      MAX_CONNECTIONS: "64",
    });
    const created = await exchange(`${gw.url}/v1/shelves`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ theme: "Fiction" }),
      timeoutMs: 10_000,
    });
    assert.equal(created.status, 201, created.body);
    baselineFds = gw.fds();
  });
  after(() => gw.kill());

  /**
   * The check after every group: alive, a normal request answers 200 within
   * 5 s, fds back near the baseline, a clean `Object.prototype`. Only a
   * connection closed before any answer (refused, reset: right after a group
   * destroys its sockets the connection cap may not have seen them close yet)
   * is tried again, briefly; a late or missing answer fails at once.
   */
  async function healthy(group: string): Promise<void> {
    assert.ok(gw.alive(), `${group}: the gateway died:\n${gw.output().slice(-3000)}`);
    let answer: Exchange | undefined;
    for (let i = 0; answer === undefined; i++) {
      try {
        answer = await exchange(`${gw.url}/v1/shelves/1`, { timeoutMs: 5000 });
      } catch (err) {
        if (!(err instanceof Refused) || i >= 20) throw new Error(`${group}: ${String(err)}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
    assert.equal(answer.status, 200, `${group}: a normal request failed: ${answer.body}`);
    let fds = gw.fds();
    for (let i = 0; i < 40 && fds > baselineFds + fdMargin; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      fds = gw.fds();
    }
    assert.ok(fds <= baselineFds + fdMargin, `${group}: ${fds} fds open, ${baselineFds} before`);
    assert.deepEqual(await gw.prototypeKeys(), cleanPrototype, `${group}: Object.prototype`);
  }

  test("the example installs no uncaughtException handler", () => {
    const source = readFileSync(
      new URL("../../examples/library/src/main.ts", import.meta.url),
      "utf8",
    );
    assert.doesNotMatch(source, /uncaughtException|unhandledRejection/);
  });

  // Every deadline that expires is DEADLINE_EXCEEDED on every transport: a 504
  // (google.rpc.Status, "deadline exceeded") before the first byte, an error
  // line or event after it, close 4004 on a WebSocket; never a 200 that simply
  // ends, a close 1000, or no answer. No request half-closes, so no stream can
  // end normally first; the client waits far longer than any deadline below, so
  // the gateway, never the client, ends each call.
  test("streaming routes with deadlines from 1n to 1S (NDJSON, SSE, bidi HTTP, WebSocket)", {
    timeout: 120_000,
  }, async () => {
    const random = prng(10);
    const fixed = ["1n", "1u", "999u", "99n", "0m", "1m", "2m", "5m", "10m", "1S"];
    const units = ["n", "u", "m"];
    const modes = ["ndjson", "sse", "bidi-http", "ws-watch", "ws-discuss"] as const;
    const cases: Array<{ timeout: string; mode: (typeof modes)[number] }> = [];
    for (const timeout of fixed) for (const mode of modes) cases.push({ timeout, mode });
    for (let i = 0; i < 40; i++) {
      const timeout = `${1 + Math.floor(random() * 999)}${units[Math.floor(random() * 3)]}`;
      cases.push({ timeout, mode: modes[Math.floor(random() * modes.length)] ?? "ndjson" });
    }
    const boundMs = 15_000;
    const run = async ({ timeout, mode }: (typeof cases)[number]): Promise<string | undefined> => {
      const label = `${mode} Grpc-Timeout ${timeout}`;
      const headers: Record<string, string> = { "grpc-timeout": timeout };
      if (mode === "ws-watch" || mode === "ws-discuss") {
        const closed = await webSocketClose(
          `ws://127.0.0.1:${gw.port}/v1/shelves/1:${mode === "ws-watch" ? "watch" : "discuss"}`,
          headers,
          mode === "ws-discuss" ? '{"user":"a","text":"hi"}' : undefined,
          boundMs,
        );
        if (closed.code !== 4004) return `${label}: closed ${closed.code} ${closed.reason}`;
        return statusProblem(label, closed.reason);
      }
      if (mode === "sse") headers.accept = "text/event-stream";
      const bidi = mode === "bidi-http";
      if (bidi) headers["content-type"] = "application/x-ndjson";
      const answer = await exchange(`${gw.url}/v1/shelves/1:${bidi ? "discuss" : "watch"}`, {
        method: bidi ? "POST" : "GET",
        headers,
        // Sent without ending the request: the discussion stays open until its deadline.
        ...(bidi ? { openBody: '{"user":"a","text":"hi"}\n' } : {}),
        timeoutMs: boundMs,
      });
      if (answer.status === 504) return statusProblem(label, answer.body);
      if (answer.status !== 200) return `${label}: ${answer.status} ${answer.body}`;
      // After the first byte: the stream's last frame is the error.
      const last =
        mode === "sse"
          ? /event: error\ndata: (.*)\n\n$/.exec(answer.body)?.[1]
          : JSON.stringify(
              (JSON.parse(answer.body.trimEnd().split("\n").at(-1) ?? "{}") as { error?: unknown })
                .error,
            );
      if (last === undefined)
        return `${label}: 200 without an error frame: ${JSON.stringify(answer.body)}`;
      return statusProblem(label, last);
    };
    const problems: string[] = [];
    for (let i = 0; i < cases.length; i += 10) {
      const batch = await Promise.all(
        cases
          .slice(i, i + 10)
          .map((c) => run(c).catch((err: unknown) => `${c.mode} ${c.timeout}: ${String(err)}`)),
      );
      for (const problem of batch) if (problem !== undefined) problems.push(problem);
    }
    assert.deepEqual(problems, []);
    await healthy("stream deadlines");
  });

  // ws closes with 1009 (too big) or 1002 (protocol error); the process must not care.
  const frames: Array<{ name: string; frames: Buffer[]; close: number | undefined }> = [
    {
      name: "a text frame declaring more than maxRequestBytes",
      frames: [wsFrame({ opcode: 1, length: 5 * 1024 * 1024, payload: Buffer.from("{") })],
      close: 1009,
    },
    {
      name: "an unmasked client frame",
      frames: [wsFrame({ opcode: 1, masked: false, payload: Buffer.from("{}") })],
      close: 1002,
    },
    { name: "reserved opcode 3", frames: [wsFrame({ opcode: 3 })], close: 1002 },
    { name: "reserved opcode 0xB", frames: [wsFrame({ opcode: 0xb })], close: 1002 },
    {
      name: "RSV1 without an extension",
      frames: [wsFrame({ opcode: 1, rsv: 4, payload: Buffer.from("{}") })],
      close: 1002,
    },
    {
      name: "a continuation without a start",
      frames: [wsFrame({ opcode: 0, payload: Buffer.from("x") })],
      close: 1002,
    },
    {
      name: "a fragmented message interrupted by a new one",
      frames: [
        wsFrame({ opcode: 1, fin: false, payload: Buffer.from('{"us') }),
        wsFrame({ opcode: 1, payload: Buffer.from("{}") }),
      ],
      close: 1002,
    },
    {
      name: "a fragmented control frame",
      frames: [wsFrame({ opcode: 9, fin: false })],
      close: 1002,
    },
    {
      name: "close code 999",
      frames: [wsFrame({ opcode: 8, payload: Buffer.from([0x03, 0xe7]) })],
      close: 1002,
    },
    {
      name: "close code 1005 on the wire",
      frames: [wsFrame({ opcode: 8, payload: Buffer.from([0x03, 0xed]) })],
      close: 1002,
    },
    {
      name: "a one-byte close payload",
      frames: [wsFrame({ opcode: 8, payload: Buffer.from([3]) })],
      close: 1002,
    },
    {
      name: "invalid UTF-8 text",
      frames: [wsFrame({ opcode: 1, payload: Buffer.from([0xff, 0xfe]) })],
      close: 1007,
    },
    {
      name: "a ping flood",
      frames: Array.from({ length: 2000 }, () => wsFrame({ opcode: 9, payload: Buffer.from("p") })),
      close: undefined,
    },
  ];
  test("raw WebSocket frames", async (t) => {
    for (const row of frames) {
      await t.test(row.name, async () => {
        const conn = await rawWebSocket(gw.port, "/v1/shelves/1:discuss");
        assert.ok(conn !== undefined, "upgrade refused");
        conn.socket.write(Buffer.concat(row.frames));
        if (row.close === undefined) {
          conn.socket.write(wsFrame({ opcode: 8, payload: Buffer.from([0x03, 0xe8]) }));
        }
        assert.ok(await conn.closed(3000), "the server did not close the socket");
        if (row.close !== undefined) assert.equal(closeCodeOf(conn.received()), row.close);
      });
    }
    await healthy("raw frames");
  });

  const upgrades: Array<{
    name: string;
    request: string;
    body?: number;
    status: number;
  }> = [
    {
      name: "POST upgrade with a 300 KB body on a unary route",
      request:
        "POST /v1/shelves HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: 307200\r\n",
      body: 307200,
      status: 404,
    },
    {
      name: "POST upgrade with a 300 KB body on a streaming route",
      request:
        "POST /v1/shelves/1:discuss HTTP/1.1\r\nContent-Length: 307200\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n",
      body: 307200,
      status: 405,
    },
    {
      name: "no Sec-WebSocket-Key",
      request: "GET /v1/shelves/1:discuss HTTP/1.1\r\nSec-WebSocket-Version: 13\r\n",
      status: 400,
    },
    {
      name: "a wrong Sec-WebSocket-Version",
      request:
        "GET /v1/shelves/1:discuss HTTP/1.1\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 7\r\n",
      status: 400,
    },
    {
      name: "a cross-site Origin with a cookie",
      request:
        "GET /v1/shelves/1:discuss HTTP/1.1\r\nOrigin: https://evil.example\r\nCookie: session=1\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n",
      status: 403,
    },
    {
      name: "Origin null",
      request:
        "GET /v1/shelves/1:watch HTTP/1.1\r\nOrigin: null\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n",
      status: 403,
    },
    {
      name: "a bad Grpc-Timeout",
      request:
        "GET /v1/shelves/1:watch HTTP/1.1\r\nGrpc-Timeout: soon\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n",
      status: 400,
    },
  ];
  test("upgrade abuse: refused with google.rpc.Status JSON, sockets closed", async (t) => {
    for (const row of upgrades) {
      await t.test(row.name, async () => {
        const conn = await rawConnect(gw.port);
        conn.socket.write(
          `${row.request}Host: 127.0.0.1:${gw.port}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n`,
        );
        if (row.body !== undefined) conn.socket.write(Buffer.alloc(row.body, 0x61));
        assert.ok(await conn.until((d) => parseHttp(d) !== undefined, 3000), "no answer");
        const answer = parseHttp(conn.received());
        assert.equal(answer?.status, row.status);
        assert.match(answer?.headers["content-type"] ?? "", /application\/json/);
        // The client never closes: the gateway must.
        assert.ok(await conn.closed(3000), "the refused socket stayed open");
        const body = conn.received().toString().split("\r\n\r\n")[1] ?? "";
        assert.equal(typeof (JSON.parse(body) as { code: unknown }).code, "number");
      });
    }
    await healthy("upgrade abuse");
  });

  test("a same-origin browser upgrade still opens", async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${gw.port}/v1/shelves/1:watch`, {
      origin: `http://127.0.0.1:${gw.port}`,
    });
    ws.on("error", () => {});
    const opened = await new Promise<boolean>((resolve) => {
      ws.on("open", () => resolve(true));
      ws.on("close", () => resolve(false));
      setTimeout(() => resolve(false), 3000);
    });
    ws.terminate();
    assert.ok(opened);
  });

  const malformed: Array<{ name: string; send: string | Buffer; status: number }> = [
    { name: "garbage request line", send: "HELLO\r\n\r\n", status: 400 },
    {
      name: "a bad header line",
      send: "GET / HTTP/1.1\r\nHost: x\r\nbad header\r\n\r\n",
      status: 400,
    },
    {
      name: "headers over Node's limit",
      send: `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(20_000)}\r\n\r\n`,
      status: 431,
    },
    {
      name: "a bad chunk size",
      send: "POST /v1/shelves HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
      status: 400,
    },
    {
      // RFC 9112 §3.2; Node's parser keeps the first and lets it through.
      name: "two Host headers",
      send: "GET /v1/shelves/1 HTTP/1.1\r\nHost: 127.0.0.1\r\nHost: evil.example\r\n\r\n",
      status: 400,
    },
    {
      name: "two Host headers on a WebSocket upgrade",
      send: "GET /v1/shelves/1:watch HTTP/1.1\r\nHost: 127.0.0.1\r\nHost: evil.example\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
      status: 400,
    },
    {
      name: "Content-Length twice, different",
      send: "POST /v1/shelves HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n{}",
      status: 400,
    },
  ];
  test("Node parser errors answer google.rpc.Status JSON", async (t) => {
    for (const row of malformed) {
      await t.test(row.name, async () => {
        const conn = await rawConnect(gw.port);
        conn.socket.write(row.send);
        assert.ok(await conn.until((d) => parseHttp(d) !== undefined, 3000), "no answer");
        const answer = parseHttp(conn.received());
        assert.equal(answer?.status, row.status);
        assert.match(answer?.headers["content-type"] ?? "", /application\/json/);
        assert.ok(await conn.closed(3000));
      });
    }
    await healthy("parser errors");
  });

  test("a compressible answer sent uncompressed says it varies by Accept-Encoding", async () => {
    for (const accept of [undefined, "identity", "gzip"]) {
      const res = await exchange(`${gw.url}/v1/shelves/1`, {
        headers: accept === undefined ? {} : { "accept-encoding": accept },
        timeoutMs: 5000,
      });
      assert.equal(res.status, 200);
      assert.equal(res.headers["content-encoding"], undefined, "below the size threshold");
      assert.match(res.headers.vary ?? "", /Accept-Encoding/, `Accept-Encoding: ${accept}`);
    }
  });

  test("slow headers and slow bodies are cut at the configured timeouts (408 JSON)", async () => {
    const slowHeaders = await rawConnect(gw.port);
    slowHeaders.socket.write("GET /v1/shelves/1 HTTP/1.1\r\nHost: x\r\n");
    const dribble = setInterval(() => {
      if (!slowHeaders.socket.destroyed) slowHeaders.socket.write("X");
    }, 100);
    const slowBody = await rawConnect(gw.port);
    slowBody.socket.write(
      "POST /v1/shelves HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{",
    );
    const idle = await rawConnect(gw.port); // connects and sends nothing
    const [headersCut, bodyCut] = await Promise.all([
      slowHeaders.closed(4000),
      slowBody.closed(4000),
    ]);
    clearInterval(dribble);
    assert.ok(headersCut, "slow headers held");
    assert.ok(bodyCut, "slow body held");
    assert.ok(await idle.closed(2000), "a connection that sends nothing held");
    assert.equal(parseHttp(slowHeaders.received())?.status, 408);
    assert.equal(parseHttp(slowBody.received())?.status, 408);
    assert.match(parseHttp(slowBody.received())?.body ?? "", /"code":4/);
    idle.socket.destroy();
    await healthy("slow clients");
  });

  test("the connection cap: idle sockets past MAX_CONNECTIONS are refused, fds stay bounded", async () => {
    const conns = await Promise.all(
      Array.from({ length: 100 }, () => rawConnect(gw.port).catch(() => undefined)),
    );
    const open = conns.filter((c) => c !== undefined);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const refused = await Promise.all(open.map((c) => c.closed(0)));
    assert.ok(refused.filter(Boolean).length >= 100 - 64, "more than 64 connections held");
    assert.ok(gw.fds() <= baselineFds + 64 + fdMargin, `${gw.fds()} fds`);
    for (const c of open) c.socket.destroy();
    await healthy("connection cap");
  });

  test("seeded fuzz of unary routes with prototype-polluting JSON", async () => {
    const random = prng(1010);
    const bodies = [
      '{"__proto__":{"polluted":"yes"}}',
      '{"constructor":{"prototype":{"polluted":"yes"}}}',
      '{"theme":"x","__proto__":{"theme":"y"}}',
      '{"shelf":{"__proto__":{"polluted":1}}}',
      "[1,2,3]",
      '"str"',
      "null",
      "{",
      `{"theme":${"[".repeat(5000)}${"]".repeat(5000)}}`,
    ];
    const paths = [
      "/v1/shelves",
      "/v1/shelves/1/books",
      "/v1/shelves/1/books/1:move",
      "/v1/shelves/__proto__",
      "/v1/shelves/constructor/books?__proto__.polluted=1&constructor.prototype.polluted=1",
      "/v1/shelves?page_size=__proto__",
    ];
    for (let i = 0; i < 120; i++) {
      const path = paths[Math.floor(random() * paths.length)] ?? "/";
      const body = bodies[Math.floor(random() * bodies.length)] ?? "{}";
      const method = random() < 0.7 ? "POST" : random() < 0.5 ? "GET" : "PATCH";
      const res = await exchange(`${gw.url}${path}`, {
        method,
        headers: {
          "content-type": "application/json",
          "grpc-timeout": `${1 + Math.floor(random() * 50)}m`,
        },
        ...(method === "GET" ? {} : { body }),
        timeoutMs: 10_000,
      });
      assert.ok(
        res.status < 500 || res.status === 503 || res.status === 504,
        `${method} ${path}: ${res.status}`,
      );
    }
    await healthy("fuzz");
  });
});

// Kestrel's MinRequestBodyDataRate (the gateway's default: 240 bytes/s after
// 5 s): a body trickled at 1 byte/s no longer holds its connection until the
// request timeout (300 s). Defaults, so no BODY_IDLE_TIMEOUT_MS: a byte a
// second never lets the idle timer fire.
describe("adversarial: trickled request bodies (minimum data rate)", () => {
  test("20 clients sending 1 byte/s get 408 shortly after the grace period; others are served meanwhile", {
    timeout: 90_000,
  }, async () => {
    const gw = await startExample();
    try {
      const fds = gw.fds();
      const clients = await Promise.all(
        Array.from({ length: 20 }, () => trickle(gw.port, "/v1/shelves", 1000, 1000)),
      );
      // While they trickle, the gateway answers others.
      for (let i = 0; i < 3; i++) {
        const res = await exchange(`${gw.url}/v1/shelves`, { timeoutMs: 5000 });
        assert.equal(res.status, 200, res.body);
      }
      const closedAfter = await Promise.all(clients.map((c) => c.closedAfter(30_000)));
      for (const [i, ms] of closedAfter.entries()) {
        assert.ok(ms !== undefined, `client ${i} still open after 30 s`);
        // Not before the 5 s grace period (minus the first byte's head start).
        assert.ok(ms >= 4500, `client ${i} closed after ${ms} ms, inside the grace period`);
        const answer = parseHttp(clients[i]?.conn.received() ?? Buffer.alloc(0));
        assert.equal(answer?.status, 408, `client ${i}`);
        assert.match(answer?.headers["content-type"] ?? "", /application\/json/);
        assert.deepEqual(JSON.parse(answer?.body ?? "{}"), {
          code: 4,
          message: "request body arrived slower than 240 bytes/s",
          details: [],
        });
      }
      assert.ok(gw.alive(), gw.output().slice(-2000));
      const after = await exchange(`${gw.url}/v1/shelves`, { timeoutMs: 5000 });
      assert.equal(after.status, 200);
      assert.ok(gw.fds() <= fds + fdMargin, `${gw.fds()} fds, ${fds} before`);
    } finally {
      await gw.kill();
    }
  });
});

describe("adversarial: SIGTERM ends within the grace period whatever the sockets", () => {
  test("open WebSocket (1001), refused upgrade with a body, idle keep-alive, half-sent body", async () => {
    const gw = await startExample({ GRACE_PERIOD_MS: "1500" });
    try {
      const ws = new WebSocket(`ws://127.0.0.1:${gw.port}/v1/shelves/1:discuss`);
      ws.on("error", () => {});
      await new Promise((resolve) => ws.once("open", resolve));
      const closeCode = new Promise<number>((resolve) => ws.once("close", resolve));
      const upgrade = await rawConnect(gw.port);
      upgrade.socket.write(
        `POST /v1/shelves HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nContent-Length: 307200\r\n\r\n`,
      );
      upgrade.socket.write(Buffer.alloc(100_000, 0x61)); // and never the rest
      const keepAlive = await rawConnect(gw.port);
      keepAlive.socket.write("GET /livez HTTP/1.1\r\nHost: x\r\n\r\n");
      await keepAlive.until((d) => d.includes("\r\n\r\n"), 3000);
      const halfBody = await rawConnect(gw.port);
      halfBody.socket.write("POST /v1/shelves HTTP/1.1\r\nHost: x\r\nContent-Length: 50\r\n\r\n{");
      await new Promise((resolve) => setTimeout(resolve, 200));
      const started = Date.now();
      gw.child.kill("SIGTERM");
      const code = await gw.exited(6000);
      const took = Date.now() - started;
      assert.equal(code, 0, `did not exit in time:\n${gw.output().slice(-2000)}`);
      assert.ok(took < 1500 + 2000, `shutdown took ${took} ms`);
      assert.equal(await closeCode, 1001);
      for (const c of [upgrade, keepAlive, halfBody]) c.socket.destroy();
    } finally {
      await gw.kill();
    }
  });
});
