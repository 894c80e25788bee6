// Streaming methods over WebSocket with a real `ws` client: frames per message,
// half-close with an empty frame, close codes carrying the gRPC status, header
// rules on the upgrade request, pings, and cancellation when the client leaves.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { WebSocket } from "ws";
import { until } from "../support/wait.js";
import { type BackendMode, type StreamGateway, startStreamGateway } from "./stream-fixture.js";

/** A client socket recording frames and the close; resolves once open. */
async function connect(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ ws: WebSocket; frames: string[]; closed: Promise<{ code: number; reason: string }> }> {
  const ws = new WebSocket(url, { headers });
  const frames: string[] = [];
  ws.on("message", (data) => frames.push(String(data)));
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on("close", (code, reason) => resolve({ code, reason: String(reason) })),
  );
  await new Promise<void>((resolve, reject) => {
    ws.once("open", () => resolve());
    ws.once("error", reject);
  });
  return { ws, frames, closed };
}

/** The HTTP status an upgrade request was refused with. */
function refusedStatus(url: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.on("unexpected-response", (_req, res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    ws.on("open", () => reject(new Error("upgraded")));
    ws.on("error", () => {});
  });
}

interface Case {
  name: string;
  path: string;
  send: string[];
  frames: string[];
  code: number;
  reason?: unknown;
}

const cases: Case[] = [
  {
    name: "bidi: a frame per message, an empty frame half-closes, 1000",
    path: "/v1/rooms/r1:echo",
    send: ['{"text":"a"}', '{"text":"b"}', ""],
    frames: ['{"room":"r1","text":"A","seq":1}', '{"room":"r1","text":"B","seq":2}'],
    code: 1000,
  },
  {
    name: "bidi: a failure closes with 4000 + code and the status as reason",
    path: "/v1/rooms/r2:echo",
    send: ['{"text":"a"}', '{"text":"b","fail":true}'],
    frames: ['{"room":"r2","text":"A","seq":1}'],
    code: 4010,
    reason: { code: 10, message: '"b" failed', details: [] },
  },
  {
    name: "bidi: a bad message closes with 4003",
    path: "/v1/rooms/r3:echo",
    send: ["{nope"],
    frames: [],
    code: 4003,
  },
  {
    name: "client streaming: one frame with the response",
    path: "/v1/sums/s",
    send: ['{"value":2}', '{"value":3}', ""],
    frames: ['{"label":"s","total":5,"count":2}'],
    code: 1000,
  },
  {
    name: "server streaming without body: calls at once",
    path: "/v1/count/2",
    send: [],
    frames: ['{"value":1}', '{"value":2}'],
    code: 1000,
  },
  {
    name: "server streaming: response_body applies to each frame",
    path: "/v1/count/2/value",
    send: [],
    frames: ["1", "2"],
    code: 1000,
  },
  {
    name: "server streaming: an error before any message",
    path: "/v1/count/0?fail=true",
    send: [],
    frames: [],
    code: 4009,
    reason: { code: 9, message: "failed after 0", details: [] },
  },
];

for (const mode of ["remote", "local"] as BackendMode[]) {
  describe(`WebSocket (${mode} backend)`, () => {
    let gw: StreamGateway;
    let ws: string;
    let pinging: StreamGateway;
    before(async () => {
      gw = await startStreamGateway(mode);
      ws = gw.url.replace("http:", "ws:");
      pinging = await startStreamGateway(mode, { heartbeatIntervalMs: 20 });
    });
    after(async () => {
      await gw.close();
      await pinging.close();
    });

    for (const c of cases) {
      test(c.name, async () => {
        const socket = await connect(ws + c.path);
        for (const text of c.send) socket.ws.send(text);
        const { code, reason } = await socket.closed;
        assert.deepEqual(socket.frames, c.frames);
        assert.equal(code, c.code);
        if (c.reason !== undefined) assert.deepEqual(JSON.parse(reason), c.reason);
      });
    }

    test("responses arrive while the request stream is open", async () => {
      const socket = await connect(`${ws}/v1/rooms/r4:echo`);
      socket.ws.send('{"text":"x"}');
      await until(socket.ws, "message", () => socket.frames.length === 1);
      assert.deepEqual(socket.frames, ['{"room":"r4","text":"X","seq":1}']);
      socket.ws.send("");
      assert.equal((await socket.closed).code, 1000);
    });

    test("upgrade request headers become metadata", async () => {
      gw.impl.authorization.length = 0;
      const socket = await connect(`${ws}/v1/count/1`, { authorization: "Bearer t0ken" });
      await socket.closed;
      assert.deepEqual(gw.impl.authorization, ["Bearer t0ken"]);
    });

    test("the server pings; a client that answers none is dropped, cancelling the call", async () => {
      pinging.impl.cancelled.length = 0;
      const socket = new WebSocket(`${pinging.url.replace("http:", "ws:")}/v1/count/0?hang=true`, {
        autoPong: false,
      });
      let pings = 0;
      socket.on("ping", () => pings++);
      const code = await new Promise<number>((resolve) => socket.on("close", resolve));
      assert.equal(code, 1006); // terminated: no close frame
      assert.ok(pings >= 2, `${pings} pings`);
      await until(pinging.impl.events, "cancelled", () => pinging.impl.cancelled.includes("count"));
    });

    test("the client closing cancels the backend's call", async () => {
      gw.impl.cancelled.length = 0;
      const socket = await connect(`${ws}/v1/count/1?hang=true`);
      await until(socket.ws, "message", () => socket.frames.length === 1);
      socket.ws.close();
      await until(gw.impl.events, "cancelled", () => gw.impl.cancelled.includes("count"));
    });

    test("a bad Grpc-Timeout refuses the upgrade with 400", async () => {
      assert.equal(await refusedStatus(`${ws}/v1/count/1`, { "grpc-timeout": "soon" }), 400);
    });

    test("a path no streaming route matches refuses the upgrade with 404", async () => {
      assert.equal(await refusedStatus(`${ws}/v1/nothing`), 404);
    });
  });
}
