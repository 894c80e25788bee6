// Rate limits on WebSocket messages, not only on the upgrade: each inbound
// message costs a point; past the limit the socket closes with 4008
// (RESOURCE_EXHAUSTED) and the google.rpc.Status JSON as reason, and the
// message over the limit never reaches the backend. Per connection (each
// socket its own budget) or per key (the sockets of one key share one).
import assert from "node:assert/strict";
import { once } from "node:events";
import { after, before, describe, test } from "node:test";
import { rateLimit } from "@ts-gateway/runtime/rate-limit";
import { WebSocket } from "ws";
import { modes, type PipelineGateway, startPipelineGateway } from "../pipeline/pipeline-fixture.js";
import { ws } from "./policy-support.js";

/** A socket the test drives message by message: `say` sends one and waits for its echo (or the close). */
async function session(url: string, headers: Record<string, string>) {
  const socket = new WebSocket(url, { headers });
  socket.on("error", () => {});
  const frames: string[] = [];
  let closed: { code: number; reason: string } | undefined;
  socket.on("message", (data) => frames.push(String(data)));
  socket.on("close", (code, reason) => {
    closed = { code, reason: reason.toString() };
  });
  await once(socket, "open");
  return {
    frames,
    closed: () => closed,
    async say(text: string): Promise<void> {
      const count = frames.length;
      socket.send(JSON.stringify({ text }));
      while (frames.length === count && closed === undefined) {
        await Promise.race([once(socket, "message"), once(socket, "close")]);
      }
    },
    async close(): Promise<void> {
      if (closed !== undefined) return;
      socket.close();
      await once(socket, "close");
    },
  };
}

for (const mode of modes) {
  describe(`rateLimit on WebSocket messages (${mode})`, () => {
    let g: PipelineGateway;
    /** Per key, 2 a minute. */
    let k: PipelineGateway;
    before(async () => {
      g = await startPipelineGateway(mode, [
        rateLimit({
          points: 100,
          durationSec: 60,
          key: { header: "x-tenant" },
          webSocketMessages: { points: 3, durationSec: 60 },
          routes: [{ match: { selector: "streaming.v1.StreamService.Sum" }, options: false }],
        }),
      ]);
      k = await startPipelineGateway(mode, [
        rateLimit({
          points: 100,
          durationSec: 60,
          key: { header: "x-tenant" },
          webSocketMessages: { points: 2, durationSec: 60, per: "key" },
        }),
      ]);
    });
    after(async () => {
      await g.close();
      await k.close();
    });

    const perConnection = [
      { sent: 3, echoes: 3, close: 1000 },
      { sent: 5, echoes: 3, close: 4008 },
    ];
    for (const row of perConnection) {
      test(`per connection, 3 a minute: ${row.sent} messages at once → close ${row.close}`, async () => {
        const before = g.backendCalls.length;
        const frames = Array.from({ length: row.sent }, (_, i) =>
          JSON.stringify({ text: `m${i}` }),
        );
        const a = await ws(`${g.wsUrl}/v1/rooms/c${row.sent}:echo`, [...frames, ""], {
          "x-tenant": `conn${row.sent}`,
        });
        assert.equal(a.status, 101);
        // Over the limit the socket closes at once: echoes still on their way may be lost, never more.
        if (row.close === 1000) assert.equal(a.frames?.length, row.echoes, String(a.frames));
        else assert.ok((a.frames?.length ?? 0) <= row.echoes, String(a.frames));
        assert.equal(a.closeCode, row.close, a.closeReason);
        if (row.close === 4008) {
          const status = JSON.parse(a.closeReason ?? "") as { code: number; message: string };
          assert.equal(status.code, 8);
          assert.match(status.message, /WebSocket message rate limit exceeded/);
        }
        assert.equal(g.backendCalls.length, before + 1, "one call per socket");
      });
    }

    test("per connection: another socket of the same key has its own budget", async () => {
      const h = { "x-tenant": "same" };
      const a = await session(`${g.wsUrl}/v1/rooms/s1:echo`, h);
      const b = await session(`${g.wsUrl}/v1/rooms/s2:echo`, h);
      for (const text of ["1", "2", "3"]) {
        await a.say(text);
        await b.say(text);
      }
      assert.deepEqual([a.frames.length, b.frames.length], [3, 3]);
      assert.equal(a.closed(), undefined);
      await a.say("4");
      assert.equal(a.closed()?.code, 4008);
      assert.equal(a.frames.length, 3, "the fourth message never reached the backend");
      assert.equal(b.closed(), undefined, "the other socket is still open");
      await b.close();
    });

    test("a route whose rule turns the policy off counts no messages", async () => {
      const frames = Array.from({ length: 6 }, (_, i) => JSON.stringify({ value: i }));
      const a = await ws(`${g.wsUrl}/v1/sums/free`, [...frames, ""], { "x-tenant": "free" });
      assert.equal(a.closeCode, 1000, a.closeReason);
      assert.deepEqual(JSON.parse(a.frames?.[0] ?? ""), { label: "free", total: 15, count: 6 });
    });

    test("per key: the sockets of one key share the budget; other keys are untouched", async () => {
      const a = await session(`${k.wsUrl}/v1/rooms/k1:echo`, { "x-tenant": "k" });
      const b = await session(`${k.wsUrl}/v1/rooms/k2:echo`, { "x-tenant": "k" });
      const other = await session(`${k.wsUrl}/v1/rooms/k3:echo`, { "x-tenant": "other" });
      await a.say("one");
      await b.say("two");
      await b.say("three");
      assert.equal(b.closed()?.code, 4008, "the key's third message");
      assert.match(b.closed()?.reason ?? "", /"code":8/);
      assert.equal(a.closed(), undefined);
      await other.say("hello");
      await other.say("again");
      assert.equal(other.frames.length, 2);
      await a.close();
      await other.close();
    });
  });
}
