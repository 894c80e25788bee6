// Prometheus metrics (`mountMetrics`): every call of the mux counted with its
// route template (never the raw path), HTTP status and gRPC code, in both
// backend modes, for unary calls, each streaming kind over HTTP and WebSocket,
// errors, and requests no route matches; served in Prometheus text format.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { mountMetrics } from "@ts-gateway/runtime/metrics";
import { WebSocket } from "ws";
import {
  type Mode,
  modes,
  type PipelineGateway,
  startPipelineGateway,
} from "../pipeline/pipeline-fixture.js";
import { eventually } from "../support/wait.js";

/** One sample of the text format: name, labels and value. */
interface Sample {
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly value: number;
}

function parseSamples(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    assert.ok(m, `not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g))
      labels[l[1] ?? ""] = l[2] ?? "";
    samples.push({ name: m[1] ?? "", labels, value: Number(m[3]) });
  }
  return samples;
}

function value(samples: Sample[], name: string, labels: Record<string, string>): number {
  const found = samples.filter(
    (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  );
  return found.reduce((sum, s) => sum + s.value, 0);
}

async function scrape(g: PipelineGateway): Promise<Sample[]> {
  const res = await fetch(`${g.url}/metrics`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
  return parseSamples(await res.text());
}

function wsExchange(url: string, frames: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url);
    socket.on("error", reject);
    socket.on("open", () => {
      for (const f of frames) socket.send(f);
      socket.send("", { fin: true });
    });
    socket.on("close", (code) => resolve(code));
  });
}

const ndjson = { "content-type": "application/x-ndjson" };

for (const mode of modes as Mode[]) {
  describe(`metrics (${mode} backend)`, () => {
    let g: PipelineGateway;
    let samples: Sample[];
    before(async () => {
      g = await startPipelineGateway(mode, []);
      mountMetrics(g.mux, { collectDefaultMetrics: mode === "remote" });
      const calls: Array<Promise<Response>> = [
        fetch(`${g.url}/v1/echo`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: '{"text":"hi"}',
        }),
        fetch(`${g.url}/v1/echo/a`),
        fetch(`${g.url}/v1/echo/b`),
        fetch(`${g.url}/v1/fail/5`),
        fetch(`${g.url}/v1/no/such/path/42`),
        fetch(`${g.url}/v1/no/such/path/43`),
        fetch(`${g.url}/v1/echo`, { method: "DELETE" }),
        fetch(`${g.url}/v1/count/3`),
        fetch(`${g.url}/v1/count/2`, { headers: { accept: "text/event-stream" } }),
        fetch(`${g.url}/v1/sums/s`, {
          method: "POST",
          headers: ndjson,
          body: '{"value":2}\n{"value":3}\n',
        }),
        fetch(`${g.url}/v1/sleep/5000`, { headers: { "grpc-timeout": "20m" } }),
      ];
      for (const res of await Promise.all(calls)) await res.arrayBuffer();
      await wsExchange(`${g.wsUrl}/v1/rooms/r1:echo`, ['{"text":"a"}', '{"text":"b"}']).catch(
        () => 0,
      );
      // The pipeline counts a call once its response closed, which may be after
      // the client read it: scrape until every call below is counted.
      samples = await eventually(
        async () => {
          const scraped = await scrape(g);
          const counted = rows.every(
            (row) => value(scraped, "grpc_gateway_requests_total", row.labels) >= row.count,
          );
          return counted && scraped;
        },
        5000,
        "every call counted in /metrics",
      );
    });
    after(() => g.close());

    const rows: Array<{ name: string; labels: Record<string, string>; count: number }> = [
      {
        name: "unary success counts under the template, one per binding",
        labels: {
          route: "/v1/echo/{text}",
          service: "errors.v1.ErrorService",
          method: "Echo",
          http_method: "GET",
          http_status: "200",
          grpc_code: "OK",
        },
        count: 2,
      },
      {
        name: "POST binding of the same method",
        labels: { route: "/v1/echo", http_method: "POST", http_status: "200", grpc_code: "OK" },
        count: 1,
      },
      {
        name: "a backend error carries its gRPC code",
        labels: { route: "/v1/fail/{code}", http_status: "404", grpc_code: "NOT_FOUND" },
        count: 1,
      },
      {
        name: "unmatched paths count under one fixed route label",
        labels: { route: "(unmatched)", http_method: "GET", http_status: "404", service: "" },
        count: 2,
      },
      {
        name: "405 counts under the fixed label with its status",
        labels: {
          route: "(unmatched)",
          http_method: "DELETE",
          http_status: "405",
          grpc_code: "UNIMPLEMENTED",
        },
        count: 1,
      },
      {
        name: "deadline exceeded",
        labels: { route: "/v1/sleep/{ms}", http_status: "504", grpc_code: "DEADLINE_EXCEEDED" },
        count: 1,
      },
      {
        name: "server streams (NDJSON and SSE)",
        labels: { route: "/v1/count/{n}", method: "Count", http_status: "200" },
        count: 2,
      },
      {
        name: "client stream over HTTP",
        labels: { route: "/v1/sums/{label}", method: "Sum", http_status: "200", grpc_code: "OK" },
        count: 1,
      },
      {
        name: "bidi stream over WebSocket (101)",
        labels: { route: "/v1/rooms/{room}:echo", method: "Echo", http_status: "101" },
        count: 1,
      },
    ];
    for (const row of rows) {
      test(`grpc_gateway_requests_total: ${row.name}`, () => {
        assert.equal(value(samples, "grpc_gateway_requests_total", row.labels), row.count);
      });
    }

    test("no raw path ever becomes a label", () => {
      for (const s of samples) {
        for (const v of Object.values(s.labels)) assert.doesNotMatch(v, /path\/4[23]|echo\/[ab]$/);
      }
    });

    test("duration histogram: one observation per call, with route labels only", () => {
      assert.equal(
        value(samples, "grpc_gateway_request_duration_seconds_count", { route: "/v1/echo/{text}" }),
        2,
      );
      const bucket = samples.find((s) => s.name === "grpc_gateway_request_duration_seconds_bucket");
      assert.ok(bucket);
      assert.equal(bucket.labels.http_status, undefined);
      assert.equal(bucket.labels.le, "0.0005");
    });

    test("streamed messages by transport and direction", () => {
      const m = "grpc_gateway_stream_messages_total";
      assert.equal(
        value(samples, m, { method: "Count", transport: "ndjson", direction: "sent" }),
        3,
      );
      assert.equal(value(samples, m, { method: "Count", transport: "sse", direction: "sent" }), 2);
      assert.equal(
        value(samples, m, { method: "Sum", transport: "http-bidi", direction: "received" }),
        2,
      );
      assert.equal(
        value(samples, m, { method: "Echo", transport: "websocket", direction: "received" }),
        2,
      );
      assert.equal(
        value(samples, m, { method: "Echo", transport: "websocket", direction: "sent" }),
        2,
      );
    });

    test("request and response sizes", () => {
      assert.equal(
        value(samples, "grpc_gateway_request_size_bytes_sum", { route: "/v1/echo" }),
        13,
      );
      assert.ok(value(samples, "grpc_gateway_response_size_bytes_sum", { route: "/v1/echo" }) > 0);
    });

    test("nothing in flight and no stream open once every call ended", () => {
      assert.equal(value(samples, "grpc_gateway_active_streams", {}), 0);
      // the scrape itself is in flight while it renders
      assert.ok(value(samples, "grpc_gateway_in_flight_requests", {}) <= 1);
    });

    test("active streams while a stream is open", async () => {
      const ac = new AbortController();
      const res = await fetch(`${g.url}/v1/flood?count=100000&size=1000`, {
        signal: ac.signal,
      }).catch(() => undefined);
      const during = await scrape(g);
      ac.abort();
      await res?.body?.cancel().catch(() => {});
      assert.equal(
        value(during, "grpc_gateway_active_streams", { method: "Flood", transport: "ndjson" }),
        1,
      );
    });

    if (mode === "remote") {
      test("the process collector is on by default", () => {
        assert.ok(samples.some((s) => s.name === "process_cpu_seconds_total"));
        assert.ok(samples.some((s) => s.name === "nodejs_heap_size_used_bytes"));
      });
    }
  });
}
