// Access logs (`accessLog`): one pino JSON line per call with the route
// template, status, gRPC code, sizes and the request id, which is echoed to
// the client and forwarded to the backend; credentials never reach the log.
import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { after, before, describe, test } from "node:test";
import { accessLog } from "@ts-gateway/runtime";
import { pino } from "pino";
import {
  type Mode,
  modes,
  type PipelineGateway,
  startPipelineGateway,
} from "../pipeline/pipeline-fixture.js";

type Line = Record<string, unknown> & { level: number; msg: string };

function capture(): { logger: pino.Logger; lines: Line[] } {
  const lines: Line[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString("utf8").split("\n"))
        if (l !== "") lines.push(JSON.parse(l) as Line);
      done();
    },
  });
  return { logger: pino({ level: "debug" }, stream), lines };
}

async function settle(lines: Line[], n: number): Promise<void> {
  for (let i = 0; i < 100 && lines.length < n; i++) await new Promise((r) => setTimeout(r, 10));
}

for (const mode of modes as Mode[]) {
  describe(`access log (${mode} backend)`, () => {
    let g: PipelineGateway;
    let lines: Line[];
    before(async () => {
      const c = capture();
      lines = c.lines;
      g = await startPipelineGateway(mode, [
        accessLog({
          logger: c.logger,
          headers: ["authorization", "x-custom", "cookie"],
          redact: ["x-custom"],
        }),
      ]);
    });
    after(() => g.close());

    test("a unary call: one line with route, status, code, sizes and a generated request id", async () => {
      const start = lines.length;
      const res = await fetch(`${g.url}/v1/echo/hello`, { headers: { "user-agent": "probe/1" } });
      assert.equal(res.status, 200);
      await res.text();
      await settle(lines, start + 1);
      const line = lines[start];
      assert.ok(line);
      const id = res.headers.get("x-request-id");
      assert.match(id ?? "", /^[0-9a-f-]{36}$/);
      assert.equal(line.req_id, id);
      assert.equal(line.level, 30);
      assert.equal(line.route, "/v1/echo/{text}");
      assert.equal(line.path, "/v1/echo/hello");
      assert.equal(line.service, "errors.v1.ErrorService");
      assert.equal(line.rpc, "Echo");
      assert.equal(line.status, 200);
      assert.equal(line.grpc_code, "OK");
      assert.equal(line.http_method, "GET");
      assert.equal(line.user_agent, "probe/1");
      assert.equal(line.remote_addr, "127.0.0.1");
      // The backend endpoint a remote call reached; none in-process.
      assert.equal(line.endpoint, g.backendAddress);
      assert.equal(typeof line.duration_ms, "number");
      assert.ok((line.bytes_out as number) > 0);
      assert.equal(typeof line.time, "number");
    });

    test("a client's request id is kept, echoed and forwarded to the backend", async () => {
      const start = lines.length;
      const calls = g.backendCalls.length;
      const res = await fetch(`${g.url}/v1/echo/x`, { headers: { "x-request-id": "abc-123" } });
      await res.text();
      assert.equal(res.headers.get("x-request-id"), "abc-123");
      await settle(lines, start + 1);
      assert.equal(lines[start]?.req_id, "abc-123");
      assert.deepEqual(g.backendCalls[calls]?.metadata["x-request-id"], ["abc-123"]);
    });

    test("an insane request id is replaced", async () => {
      const res = await fetch(`${g.url}/v1/echo/x`, {
        headers: { "x-request-id": "x".repeat(500) },
      });
      await res.text();
      assert.match(res.headers.get("x-request-id") ?? "", /^[0-9a-f-]{36}$/);
    });

    test("credentials and configured headers are redacted", async () => {
      const start = lines.length;
      const res = await fetch(`${g.url}/v1/echo/x`, {
        headers: { authorization: "Bearer secret", cookie: "sid=secret", "x-custom": "secret" },
      });
      await res.text();
      await settle(lines, start + 1);
      const text = JSON.stringify(lines[start]);
      assert.doesNotMatch(text, /secret/);
      assert.deepEqual(lines[start]?.headers, {
        authorization: "[REDACTED]",
        "x-custom": "[REDACTED]",
        cookie: "[REDACTED]",
      });
    });

    test("4xx at info, 5xx at error with the error's message", async () => {
      const start = lines.length;
      for (const path of ["/v1/fail/5", "/v1/fail/13", "/v1/nope"])
        await (await fetch(g.url + path)).text();
      await settle(lines, start + 3);
      const byStatus = new Map(lines.slice(start).map((l) => [l.status, l]));
      assert.equal(byStatus.get(404)?.level, 30);
      assert.equal(byStatus.get(500)?.level, 50);
      assert.equal(byStatus.get(500)?.grpc_code, "INTERNAL");
      assert.ok(byStatus.get(500)?.err);
      const unmatched = lines.slice(start).find((l) => l.path === "/v1/nope");
      assert.equal(unmatched?.route, undefined);
      assert.equal(unmatched?.status, 404);
    });

    test("a stream logs once it ends, with its messages", async () => {
      const start = lines.length;
      await (await fetch(`${g.url}/v1/count/3`)).text();
      await settle(lines, start + 1);
      const line = lines[start];
      assert.equal(line?.transport, "ndjson");
      assert.equal(line?.messages_out, 3);
    });
  });
}
