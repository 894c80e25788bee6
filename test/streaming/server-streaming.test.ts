// Server streaming over HTTP against both backend modes: NDJSON framing (as
// grpc-gateway's), response_body, errors before and after the first message,
// Server-Sent Events with heartbeats, google.api.HttpBody bytes, and the
// client going away cancelling the backend's stream.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { until } from "../support/wait.js";
import {
  type BackendMode,
  openRequest,
  readAll,
  type StreamGateway,
  startStreamGateway,
} from "./stream-fixture.js";

interface Case {
  name: string;
  path: string;
  accept?: string;
  status: number;
  contentType: string;
  body: string;
}

const failedAfter = (n: number) =>
  JSON.stringify({ code: 9, message: `failed after ${n}`, details: [] });

const cases: Case[] = [
  {
    name: "NDJSON: one result per line",
    path: "/v1/count/3",
    status: 200,
    contentType: "application/json",
    body: '{"result":{"value":1}}\n{"result":{"value":2}}\n{"result":{"value":3}}\n',
  },
  {
    name: "NDJSON: response_body inside each result",
    path: "/v1/count/2/value",
    status: 200,
    contentType: "application/json",
    body: '{"result":1}\n{"result":2}\n',
  },
  {
    name: "NDJSON: an empty stream is an empty 200",
    path: "/v1/count/0",
    status: 200,
    contentType: "application/json",
    body: "",
  },
  {
    name: "NDJSON: an error after a message is a final error line",
    path: "/v1/count/2?fail=true",
    status: 200,
    contentType: "application/json",
    body: `{"result":{"value":1}}\n{"result":{"value":2}}\n{"error":${failedAfter(2)}}\n`,
  },
  {
    name: "an error before any message is a normal error response",
    path: "/v1/count/0?fail=true",
    status: 400,
    contentType: "application/json",
    body: failedAfter(0),
  },
  {
    name: "SSE: a data event per message",
    path: "/v1/count/2",
    accept: "text/event-stream",
    status: 200,
    contentType: "text/event-stream",
    body: 'data: {"value":1}\n\ndata: {"value":2}\n\n',
  },
  {
    name: "SSE: an error event after a message",
    path: "/v1/count/1?fail=true",
    accept: "text/html, text/event-stream;q=0.9",
    status: 200,
    contentType: "text/event-stream",
    body: `data: {"value":1}\n\nevent: error\ndata: ${failedAfter(1)}\n\n`,
  },
  {
    name: "SSE: an error before any message is a normal error response",
    path: "/v1/count/0?fail=true",
    accept: "text/event-stream",
    status: 400,
    contentType: "application/json",
    body: failedAfter(0),
  },
  {
    name: "HttpBody: raw bytes with the first message's content type",
    path: "/v1/files/greeting.txt",
    status: 200,
    contentType: "text/plain",
    body: "hello world",
  },
];

for (const mode of ["remote", "local"] as BackendMode[]) {
  describe(`server streaming over HTTP (${mode} backend)`, () => {
    let gw: StreamGateway;
    let beating: StreamGateway;
    before(async () => {
      gw = await startStreamGateway(mode);
      beating = await startStreamGateway(mode, { heartbeatIntervalMs: 20 });
    });
    after(async () => {
      await gw.close();
      await beating.close();
    });

    for (const c of cases) {
      test(c.name, async () => {
        const res = await fetch(gw.url + c.path, {
          headers: c.accept === undefined ? {} : { accept: c.accept },
        });
        assert.equal(res.status, c.status);
        assert.equal(res.headers.get("content-type"), c.contentType);
        assert.equal(await res.text(), c.body);
      });
    }

    test("response metadata of the stream becomes headers", async () => {
      const res = await fetch(`${gw.url}/v1/count/1`);
      assert.equal(res.headers.get("grpc-metadata-x-count"), "1");
      await res.text();
    });

    test("HttpBody: an error after the first part aborts the response", async () => {
      const res = await fetch(`${gw.url}/v1/files/a.txt?fail=true`);
      assert.equal(res.status, 200);
      await assert.rejects(res.text());
    });

    test("SSE: heartbeat comments go out while the stream is idle", async () => {
      const req = openRequest(`${beating.url}/v1/count/0?hang=true`, {
        method: "GET",
        headers: { accept: "text/event-stream" },
      });
      req.end();
      const res = await req.response;
      assert.equal(res.statusCode, 200);
      assert.equal(res.headers["content-type"], "text/event-stream");
      let text = "";
      res.setEncoding("utf8");
      for await (const chunk of res) {
        text += chunk;
        if (text.split(": heartbeat\n\n").length > 2) break;
      }
      assert.match(text, /^(: heartbeat\n\n){2,}$/);
      await until(beating.impl.events, "cancelled", () => beating.impl.cancelled.includes("count"));
    });

    test("NDJSON: headers and empty heartbeat lines go out while the stream is idle", async () => {
      const req = openRequest(`${beating.url}/v1/count/0?hang=true`, { method: "GET" });
      req.end();
      const res = await req.response;
      assert.equal(res.statusCode, 200);
      assert.equal(res.headers["content-type"], "application/json");
      let text = "";
      res.setEncoding("utf8");
      for await (const chunk of res) {
        text += chunk;
        if (text.length >= 3) break;
      }
      assert.match(text, /^\n{3,}$/);
      await until(beating.impl.events, "cancelled", () => beating.impl.cancelled.includes("count"));
    });

    test("the client going away cancels the backend's stream", async () => {
      const req = openRequest(`${gw.url}/v1/count/1?hang=true`, { method: "GET" });
      req.end();
      const res = await req.response;
      res.setEncoding("utf8");
      const [first] = await Promise.all([
        new Promise<string>((resolve) => res.once("data", resolve)),
      ]);
      assert.equal(first, '{"result":{"value":1}}\n');
      req.destroy();
      await until(gw.impl.events, "cancelled", () => gw.impl.cancelled.includes("count"));
      gw.impl.cancelled.length = 0;
    });

    test("NDJSON without heartbeats has no extra bytes", async () => {
      const req = openRequest(`${gw.url}/v1/count/2`, { method: "GET" });
      req.end();
      assert.equal(
        await readAll(await req.response),
        '{"result":{"value":1}}\n{"result":{"value":2}}\n',
      );
    });
  });
}
