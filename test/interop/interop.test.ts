// `ts-gateway serve` in front of gRPC backends in other languages: Python
// grpcio and grpc-go, each serving interop.v1.InteropService (test/proto) from
// a descriptor set `buf build` made, as a Python or Go team would. What could
// differ from grpc-js: metadata both ways (headers, trailers, x-http-code),
// status details, uncaught errors, deadlines (the gateway's own message on
// every transport), cancellation reaching the backend, server streams past
// `deadlineMs`, health with and without grpc.health.v1, and the last frame of
// a stream at SIGTERM. TS_GATEWAY_SKIP=go leaves the Go backend out.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import WebSocket from "ws";
import {
  type Child,
  makeWorkdir,
  repoRoot,
  startGateway,
  stopAll,
} from "../gateway/support/processes.js";
import { skippedTools } from "../support/tools.js";
import { eventually, freePort } from "../support/wait.js";
import { type Backend, startBackend, stopBackends } from "./support/backends.js";

after(async () => {
  await stopAll();
  await stopBackends();
});

const work = makeWorkdir();
const descriptorSet = join(work.dir, "api.binpb");
execFileSync(
  join(repoRoot, "node_modules/.bin/buf"),
  ["build", "--path", "test/proto/interop/v1/interop.proto", "-o", descriptorSet],
  { cwd: repoRoot, stdio: "pipe" },
);

const skip = skippedTools();

/** A gateway config for one backend; `extra` is appended to the backend's section. */
function config(name: string, port: number, backendPort: number, extra = ""): string {
  return work.write(
    `${name}.yaml`,
    `server:
  listeners:
    - port: ${port}
  webSocket: true
shutdown:
  drainDelayMs: 200
  gracePeriodMs: 5000
backends:
  interop:
    target: 127.0.0.1:${backendPort}
    deadlineMs: 1500
    streamDeadlineMs: 4000
${extra}services:
  - descriptorSet: api.binpb
    backend: interop
`,
  );
}

const timeout = () => AbortSignal.timeout(20_000);

async function json(
  url: string,
  init: RequestInit = {},
): Promise<{ status: number; headers: Headers; body: Record<string, unknown> }> {
  const res = await fetch(url, { signal: timeout(), ...init });
  return { status: res.status, headers: res.headers, body: (await res.json()) as never };
}

/** A streaming response's text, read to its end; `onFirst` once its first non-empty chunk came. */
async function streamText(url: string, headers: Record<string, string>, onFirst?: () => void) {
  const res = await fetch(url, { headers, signal: AbortSignal.timeout(60_000) });
  assert.equal(res.status, 200);
  const decoder = new TextDecoder();
  let text = "";
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    const before = text.trim();
    text += decoder.decode(chunk, { stream: true });
    if (before === "" && text.trim() !== "") onFirst?.();
  }
  return text;
}

/** The lines of an NDJSON stream (heartbeat lines skipped), read to its end. */
async function ndjson(url: string, onFirst?: () => void): Promise<Record<string, unknown>[]> {
  return (await streamText(url, {}, onFirst))
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** The events of an SSE stream, read to its end: `[event, data]`. */
async function sse(url: string, onFirst?: () => void): Promise<[string, unknown][]> {
  const text = await streamText(url, { accept: "text/event-stream" }, onFirst);
  const events: [string, unknown][] = [];
  for (const block of text.split("\n\n")) {
    const lines = block.split("\n").filter((l) => !l.startsWith(":") && l !== "");
    if (lines.length === 0) continue;
    const event = lines.find((l) => l.startsWith("event: "))?.slice(7) ?? "message";
    const data = lines.find((l) => l.startsWith("data: "))?.slice(6);
    events.push([event, data === undefined ? undefined : JSON.parse(data)]);
  }
  return events;
}

/** A WebSocket stream's messages and its close code and reason. */
function webSocket(
  url: string,
  onFirst?: () => void,
): Promise<{ messages: unknown[]; code: number; reason: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    const messages: unknown[] = [];
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error("WebSocket did not close"));
    }, 60_000);
    ws.on("message", (data) => {
      messages.push(JSON.parse(String(data)));
      if (messages.length === 1) onFirst?.();
    });
    ws.on("error", reject);
    ws.on("close", (code, reason) => {
      clearTimeout(timer);
      resolve({ messages, code, reason: String(reason) });
    });
  });
}

for (const kind of ["python", "go"] as const) {
  describe(`${kind} backend behind ts-gateway serve`, { skip: skip.has(kind) }, () => {
    let backend: Backend;
    let gateway: Child;
    let base: string;

    before(async () => {
      backend = await startBackend(kind);
      const port = await freePort();
      gateway = await startGateway(config(kind, port, backend.port));
      base = `http://127.0.0.1:${port}`;
    });

    it("unary: metadata both ways (headers, trailers), x-http-code", async () => {
      const { status, headers, body } = await json(`${base}/v1/echo/hi`, {
        headers: { "Grpc-Metadata-X-Interop-Token": "abc" },
      });
      assert.equal(status, 200);
      assert.deepEqual(body, { text: "hi", metadata: { "x-interop-token": "abc" } });
      assert.equal(headers.get("grpc-metadata-x-interop-reply"), "header");
      assert.equal(headers.get("grpc-trailer-x-interop-trailer"), "trailer");
      const created = await json(`${base}/v1/echo/made?httpCode=201`);
      assert.equal(created.status, 201);
    });

    it("errors: status with details, uncaught errors as UNKNOWN with their text", async () => {
      const post = (body: object) =>
        json(`${base}/v1/fail`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(body),
        });
      const invalid = await post({ code: 3, message: "bad text", details: true });
      assert.equal(invalid.status, 400);
      assert.equal(invalid.body.code, 3);
      assert.equal(invalid.body.message, "bad text");
      const [detail] = invalid.body.details as Record<string, unknown>[];
      assert.equal(detail?.["@type"], "type.googleapis.com/google.rpc.BadRequest");
      assert.deepEqual(detail?.fieldViolations, [
        { field: "text", description: "must not be empty" },
      ]);
      const notFound = await post({ code: 5, message: "no such thing" });
      assert.deepEqual([notFound.status, notFound.body.code], [404, 5]);
      const raised = await post({ raise: true });
      assert.equal(raised.status, 500);
      assert.equal(raised.body.code, 2);
      assert.match(String(raised.body.message), new RegExp(`boom from ${kind}`));
    });

    it("deadlines: deadlineMs and Grpc-Timeout end a unary call with the gateway's own message", async () => {
      for (const headers of [{}, { "Grpc-Timeout": "300m" }]) {
        const { status, body } = await json(`${base}/v1/sleep/10000`, { headers });
        assert.equal(status, 504);
        assert.equal(body.code, 4);
        // The gateway's own words, never grpc-js's (the backend's address and timings).
        assert.match(String(body.message), /^deadline (of \d+ms )?exceeded$/);
      }
    });

    it("cancellation: a client that goes away cancels the backend's call", async () => {
      const stats = async () =>
        (await json(`${base}/v1/stats`)).body as { cancelled?: number; sleepsStarted?: number };
      const { cancelled: before = 0, sleepsStarted: started = 0 } = await stats();
      const controller = new AbortController();
      const call = fetch(`${base}/v1/sleep/1400`, { signal: controller.signal }).catch(() => {});
      // Abort once the backend runs the call, not while it may still be on its way.
      await eventually(
        async () => ((await stats()).sleepsStarted ?? 0) > started,
        1_000,
        "the backend to receive the call",
      );
      controller.abort();
      await call;
      await eventually(
        async () => ((await stats()).cancelled ?? 0) > before,
        15_000,
        "the backend to see the cancellation",
      );
    });

    it("server streams run past deadlineMs; streamDeadlineMs ends them with 'deadline exceeded' on every transport", async () => {
      const normal = await ndjson(`${base}/v1/count?count=8&intervalMs=250`);
      assert.deepEqual(
        normal.map((l) => l.result),
        [1, 2, 3, 4, 5, 6, 7, 8].map((n) => ({ n })),
      );
      const long = "/v1/count?count=1000&intervalMs=100";
      const [lines, events, ws] = await Promise.all([
        ndjson(`${base}${long}`),
        sse(`${base}${long}`),
        webSocket(`${base.replace("http", "ws")}${long}`),
      ]);
      const deadline = { code: 4, message: "deadline exceeded", details: [] };
      assert.ok(lines.length > 2);
      assert.deepEqual(lines.at(-1), { error: deadline });
      assert.deepEqual(events.at(-1), ["error", deadline]);
      assert.equal(ws.code, 4004);
      assert.deepEqual(JSON.parse(ws.reason), deadline);
    });

    it("/healthz asks the backend's grpc.health.v1", async () => {
      const { status, body } = await json(`${base}/healthz`);
      assert.equal(status, 200);
      assert.equal(body.status, "SERVING");
    });

    it("SIGTERM ends open streams with a last error: NDJSON, SSE, WebSocket 1001", async () => {
      const long = "/v1/count?count=1000&intervalMs=200";
      const firsts: Promise<void>[] = [];
      const first = () => {
        let resolve!: () => void;
        firsts.push(new Promise<void>((r) => (resolve = r)));
        return () => resolve();
      };
      const streams = Promise.all([
        ndjson(`${base}${long}`, first()),
        sse(`${base}${long}`, first()),
        webSocket(`${base.replace("http", "ws")}${long}`, first()),
      ]);
      // Every stream has its first message: the gateway holds all three.
      await Promise.all(firsts);
      gateway.process.kill("SIGTERM");
      const [lines, events, ws] = await streams;
      const shutdown = { code: 14, message: "server shutting down", details: [] };
      assert.deepEqual(lines.at(-1), { error: shutdown });
      assert.deepEqual(events.at(-1), ["error", shutdown]);
      assert.deepEqual([ws.code, ws.reason], [1001, "server shutting down"]);
      assert.equal(await gateway.exited, 0);
    });
  });
}

describe("a backend without grpc.health.v1 (Python)", { skip: skip.has("python") }, () => {
  it("/healthz says what is missing; health: connectivity answers from the connection", async () => {
    const backend = await startBackend("python", false);
    const port = await freePort();
    const file = config("no-health", port, backend.port);
    const gateway = await startGateway(file);
    const base = `http://127.0.0.1:${port}`;
    const missing = await json(`${base}/healthz`);
    assert.equal(missing.status, 503);
    assert.equal(missing.body.code, 12);
    assert.match(String(missing.body.message), /does not serve grpc\.health\.v1\.Health/);
    assert.match(String(missing.body.message), /health: connectivity/);
    assert.equal((await json(`${base}/readyz`)).status, 200);

    writeFileSync(
      file,
      readFileSync(file, "utf8").replace(
        "deadlineMs: 1500",
        "deadlineMs: 1500\n    health: connectivity",
      ),
    );
    gateway.process.kill("SIGHUP");
    await gateway.waitFor(/reloaded/, 30_000).catch(() => {});
    await eventually(
      async () => (await json(`${base}/healthz`)).status === 200,
      15_000,
      "/healthz 200 after the reload",
    );
    assert.deepEqual((await json(`${base}/healthz`)).body, {
      status: "SERVING",
      check: "connectivity",
    });
  });
});
