// OpenTelemetry traces (`tracing()`): with the SDK registered, a client span,
// the gateway's SERVER span and the backend's span share one trace id and
// each is the parent of the next, in both backend modes (the backend reads
// `traceparent` from the gRPC metadata it received); streams, errors and
// unmatched requests get their spans; with the API's no-op tracer the client's
// trace headers pass through untouched and nothing is recorded.
import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import { after, before, beforeEach, describe, test } from "node:test";
import type { Metadata } from "@grpc/grpc-js";
import {
  context,
  ProxyTracerProvider,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  type TextMapGetter,
  trace,
} from "@opentelemetry/api";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import {
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import { NodeTracerProvider } from "@opentelemetry/sdk-trace-node";
import { accessLog, type CallContext, type Middleware } from "@ts-gateway/runtime";
import { tracing } from "@ts-gateway/runtime/tracing";
import { WebSocket } from "ws";
import {
  type Mode,
  modes,
  type PipelineGateway,
  startPipelineGateway,
} from "../pipeline/pipeline-fixture.js";
import { eventually, next } from "../support/wait.js";

const exporter = new InMemorySpanExporter();
const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
provider.register({ propagator: new W3CTraceContextPropagator() });
const testTracer = trace.getTracer("tracing.test");

const metadataGetter: TextMapGetter<Metadata> = {
  keys: (metadata) => Object.keys(metadata.getMap()),
  get: (metadata, key) => metadata.get(key).map(String),
};

/**
 * The backend's side of tracing, as a grpc-js server would do it: a SERVER
 * span whose parent is extracted from the call's incoming metadata.
 */
function tracedBackend<T extends object>(impl: T): T {
  return new Proxy(impl, {
    get(target, key) {
      const fn = Reflect.get(target, key) as unknown;
      if (typeof fn !== "function") return fn;
      return (request: unknown, ctx: CallContext) => {
        const parent = propagation.extract(ROOT_CONTEXT, ctx.metadata, metadataGetter);
        const span = testTracer.startSpan(
          `backend ${String(key)}`,
          { kind: SpanKind.SERVER },
          parent,
        );
        try {
          return fn.call(target, request, ctx);
        } finally {
          span.end();
        }
      };
    },
  });
}

/** Sends `init` with the headers of a fresh CLIENT span; returns the response and that span's ids. */
async function clientFetch(url: string, init: RequestInit = {}) {
  const span = testTracer.startSpan("client", { kind: SpanKind.CLIENT });
  const headers: Record<string, string> = {};
  propagation.inject(trace.setSpan(context.active(), span), headers);
  const res = await fetch(url, { ...init, headers: { ...headers, ...(init.headers ?? {}) } });
  const body = await res.text();
  span.end();
  return { res, body, client: span.spanContext() };
}

/** Waits (bounded) until a span named `name` was exported, and returns it. */
function spanNamed(name: string): Promise<ReadableSpan> {
  return eventually(
    () => exporter.getFinishedSpans().find((s) => s.name === name),
    5000,
    `a span ${name}`,
  );
}

const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;

for (const mode of modes as Mode[]) {
  describe(`tracing (${mode} backend)`, () => {
    let g: PipelineGateway;
    before(async () => {
      g = await startPipelineGateway(mode, [tracing()], {}, tracedBackend);
    });
    after(() => g.close());
    beforeEach(() => exporter.reset());

    test("client → gateway → backend: one trace, each span the parent of the next", async () => {
      const { res, client } = await clientFetch(`${g.url}/v1/echo/hello`, {
        headers: { "user-agent": "trace-test/1" },
      });
      assert.equal(res.status, 200);
      const gateway = await spanNamed("GET /v1/echo/{text}");
      const backend = await spanNamed("backend echo");
      assert.equal(gateway.kind, SpanKind.SERVER);
      assert.equal(gateway.spanContext().traceId, client.traceId);
      assert.equal(parentOf(gateway), client.spanId);
      assert.equal(backend.spanContext().traceId, client.traceId);
      assert.equal(
        parentOf(backend),
        gateway.spanContext().spanId,
        "backend is the gateway's child",
      );
      assert.deepEqual(
        {
          route: gateway.attributes["http.route"],
          method: gateway.attributes["http.request.method"],
          status: gateway.attributes["http.response.status_code"],
          path: gateway.attributes["url.path"],
          system: gateway.attributes["rpc.system"],
          service: gateway.attributes["rpc.service"],
          rpc: gateway.attributes["rpc.method"],
          code: gateway.attributes["rpc.grpc.status_code"],
          server: gateway.attributes["server.address"],
          client: gateway.attributes["client.address"],
          agent: gateway.attributes["user_agent.original"],
        },
        {
          route: "/v1/echo/{text}",
          method: "GET",
          status: 200,
          path: "/v1/echo/hello",
          system: "grpc",
          service: "errors.v1.ErrorService",
          rpc: "Echo",
          code: 0,
          server: "127.0.0.1",
          client: "127.0.0.1",
          agent: "trace-test/1",
        },
      );
      assert.equal(gateway.status.code, SpanStatusCode.UNSET);
      // The backend received the gateway's traceparent, not the client's.
      const received = g.backendCalls.at(-1)?.metadata.traceparent ?? [];
      assert.equal(received.length, 1);
      assert.match(received[0] ?? "", new RegExp(`-${gateway.spanContext().spanId}-01$`));
    });

    test("no incoming traceparent: the gateway span is a root, the backend its child", async () => {
      const res = await fetch(`${g.url}/v1/echo/root`);
      assert.equal(res.status, 200);
      await res.text();
      const gateway = await spanNamed("GET /v1/echo/{text}");
      const backend = await spanNamed("backend echo");
      assert.equal(parentOf(gateway), undefined);
      assert.equal(backend.spanContext().traceId, gateway.spanContext().traceId);
      assert.equal(parentOf(backend), gateway.spanContext().spanId);
    });

    test("a tracestate from the client travels on to the backend", async () => {
      const { res } = await clientFetch(`${g.url}/v1/echo/state`, {
        headers: { tracestate: "vendor=abc" },
      });
      assert.equal(res.status, 200);
      await spanNamed("GET /v1/echo/{text}");
      assert.deepEqual(g.backendCalls.at(-1)?.metadata.tracestate, ["vendor=abc"]);
    });

    const errors = [
      { code: 13, status: 500, error: true },
      { code: 14, status: 503, error: true },
      { code: 5, status: 404, error: false },
      { code: 3, status: 400, error: false },
    ];
    for (const row of errors) {
      test(`gRPC code ${row.code} → HTTP ${row.status}, span status ${row.error ? "ERROR" : "UNSET"}`, async () => {
        const { res, client } = await clientFetch(`${g.url}/v1/fail/${row.code}`);
        assert.equal(res.status, row.status);
        const gateway = await spanNamed("GET /v1/fail/{code}");
        assert.equal(gateway.spanContext().traceId, client.traceId);
        assert.equal(gateway.attributes["http.response.status_code"], row.status);
        assert.equal(gateway.attributes["rpc.grpc.status_code"], row.code);
        assert.equal(gateway.status.code, row.error ? SpanStatusCode.ERROR : SpanStatusCode.UNSET);
        assert.equal(gateway.attributes["error.type"], row.error ? String(row.status) : undefined);
      });
    }

    test("a server stream's span lasts its whole life and ends with its message counts", async () => {
      const { res, body, client } = await clientFetch(`${g.url}/v1/count/3`);
      assert.equal(res.status, 200);
      assert.equal(body.trim().split("\n").length, 3);
      const gateway = await spanNamed("GET /v1/count/{n}");
      const backend = await spanNamed("backend count");
      assert.equal(gateway.spanContext().traceId, client.traceId);
      assert.equal(parentOf(backend), gateway.spanContext().spanId);
      assert.equal(gateway.attributes["gateway.transport"], "ndjson");
      const sent = gateway.events.find((e) => e.attributes?.["rpc.message.type"] === "SENT");
      assert.equal(sent?.attributes?.["gateway.message.count"], 3);
      // The span ends after the last message, not when the call started (the
      // backend's own span may end a tick after the gateway's: its generator
      // finishes after the gateway wrote the last line).
      const ms = (t: readonly [number, number]) => t[0] * 1e3 + t[1] / 1e6;
      assert.ok(sent !== undefined);
      assert.ok(
        ms(gateway.endTime) >= ms(sent.time),
        "the gateway span ends after the last message",
      );
      assert.ok(
        ms(gateway.endTime) >= ms(backend.startTime),
        "the gateway span outlives the backend call's start",
      );
    });

    test("a client stream counts the messages it received", async () => {
      const { res } = await clientFetch(`${g.url}/v1/sums/s`, {
        method: "POST",
        headers: { "content-type": "application/x-ndjson" },
        body: '{"value":2}\n{"value":3}\n',
      });
      assert.equal(res.status, 200);
      const gateway = await spanNamed("POST /v1/sums/{label}");
      const received = gateway.events.find(
        (e) => e.attributes?.["rpc.message.type"] === "RECEIVED",
      );
      assert.equal(received?.attributes?.["gateway.message.count"], 2);
    });

    test("a WebSocket stream: one span for the socket's life, the backend its child", async () => {
      const span = testTracer.startSpan("client", { kind: SpanKind.CLIENT });
      const headers: Record<string, string> = {};
      propagation.inject(trace.setSpan(context.active(), span), headers);
      const replies = await new Promise<number>((resolve, reject) => {
        const socket = new WebSocket(`${g.wsUrl}/v1/rooms/r1:echo`, { headers });
        let n = 0;
        socket.on("error", reject);
        socket.on("message", () => n++);
        socket.on("open", () => {
          socket.send('{"text":"a"}');
          socket.send('{"text":"b"}');
          socket.send("", { fin: true });
        });
        socket.on("close", () => resolve(n));
      });
      span.end();
      const gateway = await spanNamed("GET /v1/rooms/{room}:echo");
      const backend = await spanNamed("backend echo");
      assert.equal(gateway.spanContext().traceId, span.spanContext().traceId);
      assert.equal(parentOf(gateway), span.spanContext().spanId);
      assert.equal(parentOf(backend), gateway.spanContext().spanId);
      assert.equal(gateway.attributes["gateway.transport"], "websocket");
      assert.equal(gateway.attributes["http.response.status_code"], 101);
      assert.ok(replies > 0, "the backend echoed");
      const sent = gateway.events.find((e) => e.attributes?.["rpc.message.type"] === "SENT");
      assert.equal(sent?.attributes?.["gateway.message.count"], replies);
    });

    test("an unmatched request: a span named by its method alone, no route, no RPC", async () => {
      const { res, client } = await clientFetch(`${g.url}/v1/no/such/path`);
      assert.equal(res.status, 404);
      const gateway = await spanNamed("GET");
      assert.equal(gateway.spanContext().traceId, client.traceId);
      assert.equal(gateway.attributes["http.route"], undefined);
      assert.equal(gateway.attributes["rpc.system"], undefined);
      assert.equal(gateway.attributes["http.response.status_code"], 404);
      assert.equal(gateway.attributes["url.path"], "/v1/no/such/path");
    });
  });
}

describe("tracing and the access log", () => {
  let g: PipelineGateway;
  const lines: Array<Record<string, unknown>> = [];
  const logger = {
    debug: (obj: object) => lines.push({ ...obj }),
    info: (obj: object) => lines.push({ ...obj }),
    warn: (obj: object) => lines.push({ ...obj }),
    error: (obj: object) => lines.push({ ...obj }),
  };
  before(async () => {
    const traceFields = () => {
      const span = trace.getActiveSpan()?.spanContext();
      return { trace_id: span?.traceId, span_id: span?.spanId };
    };
    g = await startPipelineGateway("remote", [
      tracing(),
      accessLog({ logger, fields: traceFields }),
    ]);
  });
  after(() => g.close());

  test("a log line names the gateway span it belongs to", async () => {
    exporter.reset();
    const { res, client } = await clientFetch(`${g.url}/v1/echo/logged`, {
      headers: { "x-request-id": "trace-log-1" },
    });
    assert.equal(res.status, 200);
    const gateway = await spanNamed("GET /v1/echo/{text}");
    const line = lines.find((l) => l.req_id === "trace-log-1");
    assert.equal(line?.trace_id, client.traceId);
    assert.equal(line?.span_id, gateway.spanContext().spanId);
  });
});

describe("tracing without an SDK (the API's no-op tracer)", () => {
  let g: PipelineGateway;
  // Around the tracing middleware: a call's "ended" comes after tracing
  // finished with it, which is when a span would have been exported.
  const calls = new EventEmitter();
  const ended: Middleware = async (_call, next) => {
    await next();
    calls.emit("ended");
  };
  before(async () => {
    const noop = new ProxyTracerProvider().getTracer("noop");
    g = await startPipelineGateway("remote", [ended, tracing({ tracer: noop })]);
  });
  after(() => g.close());

  test("records nothing and forwards the client's trace headers as they came", async () => {
    exporter.reset();
    const traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    const callEnded = next(calls, "ended");
    const res = await fetch(`${g.url}/v1/echo/x`, {
      headers: { traceparent, tracestate: "a=b" },
    });
    assert.equal(res.status, 200);
    await res.text();
    // The global propagator is the test's W3C one: the no-op tracer's span is
    // the client's own context, so the backend sees the same traceparent.
    const call = g.backendCalls.at(-1);
    assert.deepEqual(call?.metadata.traceparent, [traceparent]);
    assert.deepEqual(call?.metadata.tracestate, ["a=b"]);
    await callEnded;
    assert.equal(exporter.getFinishedSpans().length, 0);
  });
});

after(() => provider.shutdown());
