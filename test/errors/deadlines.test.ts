// Deadlines and cancellation end to end, with a slow implementation behind a
// real grpc-js server and in-process: Grpc-Timeout sets the deadline the
// backend sees, an expired one answers 504, the mux's default and maximum
// apply, and a client that disconnects cancels the call with nothing written.
import assert from "node:assert/strict";
import { connect } from "node:net";
import { after, before, describe, test } from "node:test";
import { Code, RpcError } from "@ts-gateway/runtime";
import { request } from "../support/servers.js";
import { eventually } from "../support/wait.js";
import { type ErrorGateway, modes, startErrorGateway } from "./error-fixture.js";

/** A slow call: far longer than any deadline below, cut short by cancellation. */
const slow = "/v1/sleep/30000";

for (const mode of modes) {
  describe(`deadlines (${mode})`, () => {
    let gw: ErrorGateway;
    before(async () => {
      gw = await startErrorGateway(mode);
    });
    after(() => gw.close());

    test("Grpc-Timeout sets the deadline the backend sees", async () => {
      const start = Date.now();
      const res = await request(`${gw.url}/v1/sleep/0`, { headers: { "grpc-timeout": "20S" } });
      assert.equal(res.status, 200, res.text);
      const deadline = Number((res.json as { deadlineMs: string }).deadlineMs);
      assert.ok(deadline >= start + 19_000 && deadline <= Date.now() + 20_000, `${deadline}`);
      assert.equal(gw.service.seen.at(-1)?.deadline?.getTime(), deadline);
    });

    test("no Grpc-Timeout and no default: no deadline", async () => {
      const res = await request(`${gw.url}/v1/sleep/0`);
      assert.deepEqual(res.json, {});
      assert.equal(gw.service.seen.at(-1)?.deadline, undefined);
    });

    test("an expired deadline answers 504 and the backend's call is aborted", async () => {
      const aborted = gw.service.nextAbort();
      const start = Date.now();
      const res = await request(gw.url + slow, { headers: { "grpc-timeout": "100m" } });
      assert.equal(res.status, 504, res.text);
      assert.equal((res.json as { code: number }).code, Code.DeadlineExceeded);
      assert.ok(Date.now() - start < 10_000);
      const reason = RpcError.from(await aborted);
      // In-process the gateway aborts with DEADLINE_EXCEEDED; over gRPC the
      // server's call ends ('cancelled') when its deadline passes.
      assert.ok(
        reason.code === Code.DeadlineExceeded || reason.code === Code.Cancelled,
        String(reason),
      );
    });

    test("the gateway enforces the deadline even if the implementation ignores its signal", async () => {
      gw.service.ignoreCancellation = true;
      try {
        const res = await request(gw.url + slow, { headers: { "grpc-timeout": "50m" } });
        assert.equal(res.status, 504, res.text);
      } finally {
        gw.service.ignoreCancellation = false;
        gw.service.stop();
      }
    });

    test("Grpc-Timeout 0 is already expired", async () => {
      const res = await request(gw.url + slow, { headers: { "grpc-timeout": "0S" } });
      assert.equal(res.status, 504, res.text);
    });
  });

  describe(`timeout options (${mode})`, () => {
    test("defaultTimeoutMs applies to requests without Grpc-Timeout", async () => {
      const gw = await startErrorGateway(mode, { defaultTimeoutMs: 100 });
      try {
        const res = await request(gw.url + slow);
        assert.equal(res.status, 504, res.text);
        assert.ok(gw.service.seen.at(-1)?.deadline !== undefined);
        // A client may ask for more than the default.
        const start = Date.now();
        const longer = await request(`${gw.url}/v1/sleep/0`, {
          headers: { "grpc-timeout": "1M" },
        });
        assert.ok(Number((longer.json as { deadlineMs: string }).deadlineMs) >= start + 59_000);
      } finally {
        await gw.close();
      }
    });

    test("maxTimeoutMs caps what clients ask, and bounds calls without Grpc-Timeout", async () => {
      const gw = await startErrorGateway(mode, { maxTimeoutMs: 150 });
      try {
        const start = Date.now();
        const res = await request(`${gw.url}/v1/sleep/0`, { headers: { "grpc-timeout": "1H" } });
        assert.equal(res.status, 200);
        const deadline = Number((res.json as { deadlineMs: string }).deadlineMs);
        assert.ok(deadline > 0 && deadline <= Date.now() + 150, `${deadline - start}`);
        const capped = await request(gw.url + slow, { headers: { "grpc-timeout": "1H" } });
        assert.equal(capped.status, 504);
        const unset = await request(gw.url + slow);
        assert.equal(unset.status, 504);
      } finally {
        await gw.close();
      }
    });
  });

  describe(`cancellation (${mode})`, () => {
    test("a client that disconnects cancels the call; nothing is written to its socket", async () => {
      const gw = await startErrorGateway(mode);
      const problems: unknown[] = [];
      const record = (e: unknown) => problems.push(e);
      process.on("uncaughtException", record);
      process.on("unhandledRejection", record);
      try {
        const aborted = gw.service.nextAbort();
        const settled = gw.nextSettled();
        const socket = connect(gw.port, "127.0.0.1");
        const received: Buffer[] = [];
        socket.on("data", (c: Buffer) => received.push(c));
        socket.on("error", () => {});
        socket.write(`GET ${slow} HTTP/1.1\r\nHost: gw\r\n\r\n`);
        await eventually(() => gw.service.seen.length === 1, 5000, "the backend saw the call");
        socket.destroy();

        const reason = RpcError.from(await aborted);
        assert.equal(reason.code, Code.Cancelled, String(reason));
        await settled; // the gateway's backend call ended (rejected or returned)
        await new Promise((resolve) => setImmediate(resolve));
        const [res] = gw.responses;
        assert.ok(res !== undefined);
        assert.equal(res.headersSent, false, "nothing written to the dead socket");
        assert.deepEqual(received, []);
        assert.deepEqual(problems, []);

        // The gateway lives on.
        const after = await request(`${gw.url}/v1/echo/ok`);
        assert.deepEqual(after.json, { text: "ok" });
      } finally {
        process.off("uncaughtException", record);
        process.off("unhandledRejection", record);
        await gw.close();
      }
    });
  });
}
