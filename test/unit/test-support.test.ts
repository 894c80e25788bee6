// The suite's own waits and tool lookup: each wait fails at its deadline, a
// missing tool fails with its install line unless TS_GATEWAY_SKIP names it.
import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import { describe, it } from "node:test";
import { tool } from "../support/tools.js";
import { eventually, freePort, next, until } from "../support/wait.js";

describe("test/support/wait.ts", () => {
  it("eventually resolves with the first value, and fails at its deadline naming what", async () => {
    let n = 0;
    assert.equal(await eventually(() => (++n >= 3 ? n : undefined), 1000, "three polls", 1), 3);
    await assert.rejects(
      eventually(() => false, 30, "never"),
      /timed out after 30 ms.*never/,
    );
  });

  it("until checks on each event and fails at its deadline", async () => {
    const emitter = new EventEmitter();
    let ready = false;
    const waiting = until(emitter, "tick", () => ready, 1000);
    ready = true;
    emitter.emit("tick");
    await waiting;
    assert.equal(emitter.listenerCount("tick"), 0);
    await assert.rejects(
      until(emitter, "tick", () => false, 30),
      /timed out after 30 ms/,
    );
    assert.equal(emitter.listenerCount("tick"), 0);
  });

  it("next gives the event's arguments, or fails at its deadline", async () => {
    const emitter = new EventEmitter();
    setImmediate(() => emitter.emit("done", 1, 2));
    assert.deepEqual(await next(emitter, "done", 1000), [1, 2]);
    await assert.rejects(next(emitter, "done", 30), /timed out after 30 ms waiting for done/);
  });

  it("freePort gives a port to listen on", async () => {
    const port = await freePort();
    assert.ok(port > 0 && port < 65536);
  });
});

describe("test/support/tools.ts", () => {
  const nowhere = { PATH: "/nonexistent" };
  it("a missing tool throws with its install line", () => {
    assert.throws(() => tool("etcd", nowhere), /apt-get install -y etcd-server/);
    assert.throws(() => tool("redis-server", nowhere), /TS_GATEWAY_SKIP=redis-server/);
  });

  it("TS_GATEWAY_SKIP names the tools to skip, with the reason", () => {
    assert.deepEqual(tool("etcd", { ...nowhere, TS_GATEWAY_SKIP: "nginx,etcd" }), {
      bin: undefined,
      skip: "TS_GATEWAY_SKIP=etcd",
    });
    assert.throws(() => tool("prometheus", { ...nowhere, TS_GATEWAY_SKIP: "nginx" }));
  });

  it("finds a tool on PATH", () => {
    const found = tool("openssl");
    assert.equal(found.skip, false);
    assert.match(found.bin ?? "", /openssl$/);
  });
});
