// Client streaming and bidi over plain HTTP: the request body is a sequence of
// JSON messages (newline-delimited or concatenated) that reaches the backend
// message by message while the body is still being sent.
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

interface LimitCase {
  name: string;
  body: string;
  status: number;
  json: unknown;
}

/** With maxRequestBytes 64: the limit holds per message, not for the whole body. */
const limitCases: LimitCase[] = [
  {
    name: "many small messages beyond the limit in total",
    body: '{"value":1}\n'.repeat(20),
    status: 200,
    json: { label: "l", total: 20, count: 20 },
  },
  {
    name: "one message over the limit",
    body: `{"value":1}\n{"label":"${"x".repeat(80)}"}\n`,
    status: 413,
    json: { code: 8, message: "a request message is larger than 64 bytes", details: [] },
  },
  {
    name: "a message that is not valid for the request type",
    body: '{"value":"many"}',
    status: 400,
    json: undefined,
  },
  {
    name: "a message cut off by the end of the body",
    body: '{"value":1}{"value":',
    status: 400,
    json: { code: 3, message: "request body ends inside a JSON message", details: [] },
  },
  {
    name: "an empty body is an empty stream",
    body: "",
    status: 200,
    json: {},
  },
];

for (const mode of ["remote", "local"] as BackendMode[]) {
  describe(`client streaming and bidi over HTTP (${mode} backend)`, () => {
    let gw: StreamGateway;
    before(async () => {
      gw = await startStreamGateway(mode, { maxRequestBytes: 64 });
    });
    after(() => gw.close());

    test("client streaming: messages reach the backend before the body ends", async () => {
      gw.impl.received.length = 0;
      const req = openRequest(`${gw.url}/v1/sums/a`, {
        headers: { "content-type": "application/x-ndjson" },
      });
      req.write('{"value":1}\n');
      await until(gw.impl.events, "received", () => gw.impl.received.length === 1);
      req.write('{"value":2}{"va');
      await until(gw.impl.events, "received", () => gw.impl.received.length === 2);
      req.end('lue":3} ');
      const res = await req.response;
      assert.equal(res.statusCode, 200);
      assert.deepEqual(JSON.parse(await readAll(res)), { label: "a", total: 6, count: 3 });
    });

    for (const c of limitCases) {
      test(`client streaming: ${c.name}`, async () => {
        const res = await fetch(`${gw.url}/v1/sums/l`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: c.body,
        });
        assert.equal(res.status, c.status);
        const json = await res.json();
        if (c.json !== undefined) assert.deepEqual(json, c.json);
        else assert.equal((json as { code: number }).code, 3);
      });
    }

    test("bidi: each response is written as its request arrives", async () => {
      gw.impl.received.length = 0;
      const req = openRequest(`${gw.url}/v1/rooms/r1:echo`);
      req.write('{"text":"a"}\n');
      const res = await req.response;
      assert.equal(res.statusCode, 200);
      res.setEncoding("utf8");
      const first = await new Promise<string>((resolve) => res.once("data", resolve));
      assert.equal(first, '{"result":{"room":"r1","text":"A","seq":1}}\n');
      req.end('{"text":"b"}');
      assert.equal(await readAll(res), '{"result":{"room":"r1","text":"B","seq":2}}\n');
    });

    test("bidi: a failure after a response is a final error line", async () => {
      const res = await fetch(`${gw.url}/v1/rooms/r2:echo`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: '{"text":"a"}\n{"text":"b","fail":true}\n{"text":"c"}\n',
      });
      assert.equal(res.status, 200);
      assert.equal(
        await res.text(),
        '{"result":{"room":"r2","text":"A","seq":1}}\n' +
          '{"error":{"code":10,"message":"\\"b\\" failed","details":[]}}\n',
      );
    });

    test("bidi: a bad message after a response ends the stream with its error", async () => {
      const req = openRequest(`${gw.url}/v1/rooms/r3:echo`);
      req.write('{"text":"a"}\n');
      const res = await req.response;
      res.setEncoding("utf8");
      const first = await new Promise<string>((resolve) => res.once("data", resolve));
      assert.equal(first, '{"result":{"room":"r3","text":"A","seq":1}}\n');
      req.end('{"text":5}\n{"text":"c"}\n');
      const last = JSON.parse(await readAll(res));
      assert.equal(last.error.code, 3);
    });

    test("the client aborting the upload cancels the backend's call", async () => {
      gw.impl.received.length = 0;
      gw.impl.cancelled.length = 0;
      const req = openRequest(`${gw.url}/v1/sums/c`);
      req.response.catch(() => {});
      req.write('{"value":1}\n');
      await until(gw.impl.events, "received", () => gw.impl.received.length === 1);
      req.destroy();
      await until(gw.impl.events, "cancelled", () => gw.impl.cancelled.includes("sum"));
    });

    test("unsupported content type answers 415", async () => {
      const res = await fetch(`${gw.url}/v1/sums/x`, {
        method: "POST",
        headers: { "content-type": "text/plain" },
        body: "{}",
      });
      assert.equal(res.status, 415);
      await res.text();
    });

    for (const [path, encoding] of [
      ["/v1/sums/x", "zstd"],
      ["/v1/rooms/r9:echo", "compress"],
      ["/v1/rooms/r9:echo", "identity, x-custom"],
    ] as const) {
      test(`Content-Encoding "${encoding}" on ${path} answers 415 naming it`, async () => {
        const res = await fetch(`${gw.url}${path}`, {
          method: "POST",
          headers: { "content-type": "application/x-ndjson", "content-encoding": encoding },
          body: '{"value":1}\n',
        });
        assert.equal(res.status, 415);
        const body = (await res.json()) as { code: number; message: string };
        assert.equal(body.code, 3);
        assert.match(
          body.message,
          new RegExp(`Content-Encoding "${encoding.replace("identity, ", "")}"`),
        );
      });
    }

    test('Content-Encoding "identity" is read as it is', async () => {
      const res = await fetch(`${gw.url}/v1/sums/i`, {
        method: "POST",
        headers: { "content-type": "application/x-ndjson", "content-encoding": "identity" },
        body: '{"value":2}\n{"value":3}\n',
      });
      assert.equal(res.status, 200, await res.clone().text());
      assert.equal(((await res.json()) as { total: number }).total, 5);
    });
  });
}
