// Deadlines of streaming calls, against an implementation that ignores its
// signal (it would take 10 s), behind a real grpc-js server and in-process:
// before the first message the gateway answers 504 itself; after it, the
// stream ends with its error framing (NDJSON line, SSE event, WebSocket 4004);
// the backend's call is aborted. Errors before the first message carry the
// call's response metadata like unary errors.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { credentials } from "@grpc/grpc-js";
import { WebSocket } from "ws";
import { attachWebSocket } from "../../packages/runtime/src/adapters/attach-websocket.js";
import { type CallContext, Code, RpcError } from "../../packages/runtime/src/index.js";
import { Mux } from "../../packages/runtime/src/mux/mux.js";
import {
  addStreamService,
  StreamServiceClient,
  streamServiceRoutes,
} from "../gen/streaming/v1/streaming_gateway.js";
import type { CountRequest, EchoRequest, SumRequest } from "../gen/streaming/v1/streaming_pb.js";
import { request, startGrpcServer, startHttpServer } from "../support/servers.js";
import { until } from "../support/wait.js";
import {
  type BackendMode,
  openRequest,
  RecordingStreams,
  readAll,
  startStreamGateway,
} from "./stream-fixture.js";

/** Far longer than any deadline below: a test waiting this long has failed. */
const stubbornMs = 10_000;
/** The deadline of every call below. */
const timeout = "300m";
/** Generous bound for the gateway's answer after the deadline (well under `stubbornMs`). */
const boundMs = 5_000;

/** Streams that ignore their call's signal: they wait `stubbornMs` where they would hang. */
class StubbornStreams extends RecordingStreams {
  /** Ends every pending wait (test cleanup). */
  readonly #release = new AbortController();

  release(): void {
    this.#release.abort();
  }

  #wait(): Promise<void> {
    return sleep(stubbornMs, undefined, { signal: this.#release.signal }).catch(() => {});
  }

  #record(name: string, context: CallContext): void {
    context.responseTrailers.set("x-method", name);
    context.signal.addEventListener("abort", () => {
      this.cancelled.push(name);
      this.events.emit("cancelled", name);
    });
  }

  override async *count(request: CountRequest, context: CallContext) {
    this.#record("count", context);
    context.responseMetadata.set("x-count", String(request.n));
    for (let i = 1; i <= request.n; i++) yield { value: i };
    if (request.fail) throw new RpcError(`failed after ${request.n}`, Code.FailedPrecondition);
    if (request.hang) await this.#wait();
  }

  override async sum(_requests: AsyncIterable<SumRequest>, context: CallContext) {
    this.#record("sum", context);
    await this.#wait();
    return { label: "late", total: 0, count: 0 };
  }

  override async *echo(requests: AsyncIterable<EchoRequest>, context: CallContext) {
    this.#record("echo", context);
    for await (const r of requests) {
      yield { room: r.room, text: r.text, seq: 1 };
      await this.#wait();
    }
  }
}

interface DeadlineGateway {
  readonly impl: StubbornStreams;
  readonly url: string;
  close(): Promise<void>;
}

/** The stream fixture's gateway, with the stubborn implementation. */
async function startDeadlineGateway(mode: BackendMode): Promise<DeadlineGateway> {
  const impl = new StubbornStreams();
  const grpc =
    mode === "remote" ? await startGrpcServer((s) => addStreamService(s, impl)) : undefined;
  const client =
    grpc === undefined
      ? undefined
      : new StreamServiceClient(grpc.address, credentials.createInsecure());
  const mux = new Mux({ webSocket: true });
  mux.register(streamServiceRoutes, client ?? impl);
  const http = await startHttpServer(mux.handler);
  attachWebSocket(http.server, mux);
  return {
    impl,
    url: http.url,
    close: async () => {
      impl.release();
      await http.close();
      client?.close();
      await grpc?.close();
    },
  };
}

/** Resolves once `name`'s call context signal fired. */
function cancelled(impl: RecordingStreams, name: string): Promise<void> {
  return until(impl.events, "cancelled", () => impl.cancelled.includes(name));
}

const deadlineError = { code: Code.DeadlineExceeded };

interface HttpCase {
  name: string;
  path: string;
  headers?: Record<string, string>;
  /** Request body written without ending it (the call's request stream stays open). */
  openBody?: string;
  method: string;
  status: number;
  /** The body: JSON (before the first message) or the exact frames with their error parsed. */
  check(body: string): void;
}

const httpCases: HttpCase[] = [
  {
    name: "server streaming, before the first message: 504",
    path: "/v1/count/0?hang=true",
    method: "count",
    status: 504,
    check: (body) => assert.equal(JSON.parse(body).code, Code.DeadlineExceeded),
  },
  {
    name: "server streaming, after messages: a final NDJSON error line",
    path: "/v1/count/2?hang=true",
    method: "count",
    status: 200,
    check: (body) => {
      const lines = body
        .trimEnd()
        .split("\n")
        .map((l) => JSON.parse(l));
      assert.deepEqual(lines.slice(0, 2), [{ result: { value: 1 } }, { result: { value: 2 } }]);
      assert.equal(lines.length, 3, body);
      assert.equal(lines[2].error.code, Code.DeadlineExceeded);
    },
  },
  {
    name: "server streaming over SSE, after messages: an error event",
    path: "/v1/count/1?hang=true",
    headers: { accept: "text/event-stream" },
    method: "count",
    status: 200,
    check: (body) => {
      const events = body.trimEnd().split("\n\n");
      assert.equal(events[0], 'data: {"value":1}');
      assert.equal(events.length, 2, body);
      const [event, data] = (events[1] ?? "").split("\n");
      assert.equal(event, "event: error");
      assert.equal(JSON.parse((data ?? "").slice("data: ".length)).code, Code.DeadlineExceeded);
    },
  },
  {
    name: "client streaming, its request still open: 504",
    path: "/v1/sums/s",
    openBody: '{"value":1}\n',
    method: "sum",
    status: 504,
    check: (body) => assert.equal(JSON.parse(body).code, Code.DeadlineExceeded),
  },
  {
    name: "bidi, its request still open, after a message: a final NDJSON error line",
    path: "/v1/rooms/r:echo",
    openBody: '{"text":"a"}\n',
    method: "echo",
    status: 200,
    check: (body) => {
      const lines = body
        .trimEnd()
        .split("\n")
        .map((l) => JSON.parse(l));
      assert.deepEqual(lines[0], { result: { room: "r", text: "a", seq: 1 } });
      assert.equal(lines.length, 2, body);
      assert.equal(lines[1].error.code, Code.DeadlineExceeded);
    },
  },
];

const modes: BackendMode[] = ["remote", "local"];

for (const mode of modes) {
  describe(`stream deadlines over HTTP (${mode} backend)`, () => {
    let gw: DeadlineGateway;
    before(async () => {
      gw = await startDeadlineGateway(mode);
    });
    after(() => gw.close());

    for (const c of httpCases) {
      test(c.name, async () => {
        gw.impl.cancelled.length = 0;
        const backendAborted = cancelled(gw.impl, c.method);
        const started = Date.now();
        const headers = { "grpc-timeout": timeout, ...c.headers };
        let status: number;
        let body: string;
        if (c.openBody === undefined) {
          const res = await request(gw.url + c.path, { headers });
          status = res.status;
          body = res.text;
        } else {
          const req = openRequest(gw.url + c.path, {
            headers: { ...headers, "content-type": "application/json" },
          });
          try {
            req.write(c.openBody);
            const res = await req.response;
            status = res.statusCode ?? 0;
            body = await readAll(res);
          } finally {
            req.destroy();
          }
        }
        assert.ok(Date.now() - started < boundMs, `answered after ${Date.now() - started} ms`);
        assert.equal(status, c.status, body);
        c.check(body);
        await backendAborted;
      });
    }

    test("a 504 before the first message carries the call's response metadata", async () => {
      const res = await request(`${gw.url}/v1/count/0?hang=true`, {
        headers: { "grpc-timeout": timeout },
      });
      assert.equal(res.status, 504, res.text);
      // In-process the implementation's headers are known; a grpc-js backend sends none before its first message.
      if (mode === "local") assert.equal(res.headers.get("grpc-metadata-x-count"), "0");
      if (mode === "local") assert.equal(res.headers.get("grpc-trailer-x-method"), "count");
    });

    test("a failure before the first message carries the call's response metadata", async () => {
      const res = await request(`${gw.url}/v1/count/0?fail=true`);
      assert.equal(res.status, 400, res.text);
      assert.equal((res.json as { code: number }).code, Code.FailedPrecondition);
      assert.equal(res.headers.get("grpc-trailer-x-method"), "count");
      if (mode === "local") assert.equal(res.headers.get("grpc-metadata-x-count"), "0");
    });

    test("without a deadline the stream is not cut", async () => {
      const res = await request(`${gw.url}/v1/count/3`);
      assert.equal(res.status, 200);
      assert.equal(res.text.trimEnd().split("\n").length, 3, res.text);
    });
  });

  describe(`stream deadlines over WebSocket (${mode} backend)`, () => {
    let gw: DeadlineGateway;
    before(async () => {
      gw = await startDeadlineGateway(mode);
    });
    after(() => gw.close());

    const wsCases = [
      { name: "before the first message: 4004", path: "/v1/count/0?hang=true", frames: [] },
      {
        name: "after messages: 4004",
        path: "/v1/count/2?hang=true",
        frames: ['{"value":1}', '{"value":2}'],
      },
    ];
    for (const c of wsCases) {
      test(c.name, async () => {
        gw.impl.cancelled.length = 0;
        const backendAborted = cancelled(gw.impl, "count");
        const started = Date.now();
        const ws = new WebSocket(gw.url.replace("http:", "ws:") + c.path, {
          headers: { "grpc-timeout": timeout },
        });
        const frames: string[] = [];
        ws.on("message", (data) => frames.push(String(data)));
        const closed = await new Promise<{ code: number; reason: string }>((resolve, reject) => {
          ws.on("close", (code, reason) => resolve({ code, reason: String(reason) }));
          ws.on("error", reject);
        });
        assert.ok(Date.now() - started < boundMs, `closed after ${Date.now() - started} ms`);
        assert.deepEqual(frames, c.frames);
        assert.equal(closed.code, 4000 + Code.DeadlineExceeded, closed.reason);
        assert.equal(JSON.parse(closed.reason).code, Code.DeadlineExceeded);
        await backendAborted;
      });
    }
  });

  describe(`stream deadlines with an implementation that honours its signal (${mode})`, () => {
    test("returning early on the abort still ends the stream with DEADLINE_EXCEEDED", async () => {
      const gw = await startStreamGateway(mode);
      try {
        const res = await request(`${gw.url}/v1/count/1?hang=true`, {
          headers: { "grpc-timeout": timeout },
        });
        assert.equal(res.status, 200);
        const lines = res.text
          .trimEnd()
          .split("\n")
          .map((l) => JSON.parse(l));
        assert.deepEqual(lines[0], { result: { value: 1 } });
        assert.deepEqual({ code: lines[1]?.error?.code }, deadlineError, res.text);
      } finally {
        await gw.close();
      }
    });
  });
}
