/**
 * Issue 21 through `ts-gateway serve` (a child process) in front of a plain
 * grpc-js backend: every expired deadline of a streaming route is
 * DEADLINE_EXCEEDED (504 before the first byte, 4004 on a WebSocket), a body
 * trickled under `server.minRequestBodyDataRate` gets a 408, and `check`
 * refuses a malformed rate.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { exchange, webSocketClose } from "../support/exchange.js";
import { parseHttp, trickle } from "../support/raw-socket.js";
import { freePort } from "../support/wait.js";
import {
  buildDescriptorSet,
  type Child,
  makeWorkdir,
  runGateway,
  startGateway,
  startPlainBackend,
  stopAll,
} from "./support/processes.js";

after(stopAll);

const work = makeWorkdir();
buildDescriptorSet(join(work.dir, "api.binpb"));

const config = (port: number, backendPort: number, server = "") => `server:
  listeners: [{ host: 127.0.0.1, port: ${port} }]
  webSocket: true
${server}backends:
  inventory:
    target: ["127.0.0.1:${backendPort}"]
services:
  - descriptorSet: api.binpb
    backend: inventory
`;

const deadlineStatus = { code: 4, message: "deadline exceeded", details: [] };

describe("ts-gateway serve: stream deadlines and slow bodies", () => {
  let gateway: Child;
  let port = 0;

  before(async () => {
    const backend = await startPlainBackend("b1");
    port = await freePort();
    const file = work.write(
      "bounds.yaml",
      config(
        port,
        backend.port,
        "  minRequestBodyDataRate: { bytesPerSecond: 240, gracePeriodMs: 1000 }\n",
      ),
    );
    gateway = await startGateway(file);
  });

  // The backend sends its first item at once, then one a second: only a deadline ends the stream.
  const watch = "/v1/items:watch?count=100&interval_ms=1000";
  for (const timeout of ["1n", "1u", "999u", "0m"]) {
    it(`Grpc-Timeout ${timeout}: 504 over NDJSON and SSE, 4004 over WebSocket`, async () => {
      for (const accept of ["application/x-ndjson", "text/event-stream"]) {
        const res = await exchange(`http://127.0.0.1:${port}${watch}`, {
          headers: { "grpc-timeout": timeout, accept },
          timeoutMs: 10_000,
        });
        assert.equal(res.status, 504, `${accept}: ${res.body}`);
        assert.deepEqual(JSON.parse(res.body), deadlineStatus);
      }
      const closed = await webSocketClose(
        `ws://127.0.0.1:${port}${watch}`,
        { "grpc-timeout": timeout },
        undefined,
        10_000,
      );
      assert.equal(closed.code, 4004, closed.reason);
      assert.deepEqual(JSON.parse(closed.reason), deadlineStatus);
    });
  }

  it("Grpc-Timeout 300m after the first item: a final NDJSON error line", async () => {
    const res = await exchange(`http://127.0.0.1:${port}${watch}`, {
      headers: { "grpc-timeout": "300m" },
      timeoutMs: 10_000,
    });
    assert.equal(res.status, 200, res.body);
    const lines = res.body
      .trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l) as { result?: unknown; error?: unknown });
    assert.ok(lines.length >= 2, res.body);
    assert.ok(lines[0]?.result !== undefined, res.body);
    assert.deepEqual(lines.at(-1)?.error, deadlineStatus);
  });

  it("a body trickled at 4 bytes/s gets a 408 after the grace period; others are served", async () => {
    const client = await trickle(port, "/v1/items", 1000, 250);
    const get = await exchange(`http://127.0.0.1:${port}/v1/items/1`, { timeoutMs: 5000 });
    assert.equal(get.status, 200, get.body);
    const ms = await client.closedAfter(15_000);
    assert.ok(ms !== undefined, "still open after 15 s");
    assert.ok(ms >= 900, `closed after ${ms} ms, inside the grace period`);
    const answer = parseHttp(client.conn.received());
    assert.equal(answer?.status, 408);
    assert.equal((JSON.parse(answer?.body ?? "{}") as { code: number }).code, 4);
    assert.equal(gateway.process.exitCode, null, gateway.output());
  });

  it("check refuses a malformed rate, naming its key", () => {
    const bad = work.write(
      "bad.yaml",
      config(
        8080,
        50051,
        "  minRequestBodyDataRate: { bytesPerSecond: -1, gracePeriodMs: 5000 }\n  minResponseDataRate: { bytesPerSec: 240 }\n",
      ),
    );
    const refused = runGateway(["check", bad]);
    assert.equal(refused.status, 1, refused.stdout);
    assert.match(refused.stderr, /server\.minRequestBodyDataRate\.bytesPerSecond/);
    assert.match(refused.stderr, /server\.minResponseDataRate.*bytesPerSec/);
    const good = work.write(
      "good.yaml",
      config(
        8080,
        50051,
        "  minRequestBodyDataRate: { bytesPerSecond: 0, gracePeriodMs: 0 }\n  minResponseDataRate: { bytesPerSecond: 1024, gracePeriodMs: 2000 }\n",
      ),
    );
    const run = runGateway(["check", good]);
    assert.equal(run.status, 0, run.stderr);
  });
});
