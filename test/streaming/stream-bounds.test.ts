// Stream bounds (issue 10, item 6): a client that stops reading a server
// stream is dropped after streamIdleTimeoutMs, and maxStreamDurationMs ends
// any stream as if its deadline had passed, over HTTP and WebSocket.
import assert from "node:assert/strict";
import { get } from "node:http";
import { after, before, describe, test } from "node:test";
import { WebSocket } from "ws";
import { until } from "../support/wait.js";
import { type BackendMode, type StreamGateway, startStreamGateway } from "./stream-fixture.js";

for (const mode of ["remote", "local"] as BackendMode[]) {
  describe(`stream bounds (${mode} backend)`, () => {
    let gw: StreamGateway;
    before(async () => {
      gw = await startStreamGateway(mode, {
        streamIdleTimeoutMs: 300,
        maxStreamDurationMs: 400,
        webSocket: true,
      });
    });
    after(() => gw.close());

    test("a client that stops reading is dropped after streamIdleTimeoutMs", async () => {
      const res = await new Promise<import("node:http").IncomingMessage>((resolve, reject) =>
        get(`${gw.url}/v1/flood?count=100000&size=4096`, resolve).on("error", reject),
      );
      res.on("error", () => {});
      res.pause(); // never read: the gateway's writes block
      await until(gw.impl.events, "cancelled", () => gw.impl.cancelled.includes("flood"));
      res.destroy();
    });

    test("maxStreamDurationMs ends a hanging HTTP stream with 504", async () => {
      const started = Date.now();
      const res = await fetch(`${gw.url}/v1/count/0?hang=true`);
      assert.equal(res.status, 504);
      assert.match(await res.text(), /maximum duration/);
      assert.ok(Date.now() - started < 3000);
    });

    test("maxStreamDurationMs closes a WebSocket with 4004", async () => {
      const ws = new WebSocket(`${gw.url.replace("http", "ws")}/v1/count/0?hang=true`);
      ws.on("error", () => {});
      const code = await new Promise<number>((resolve) => ws.once("close", resolve));
      assert.equal(code, 4004);
    });
  });
}
