// The request pipeline (`mux.use`): every call passes through it, unary and
// streaming (server, client, bidi) over HTTP and WebSocket, in both backend
// modes. A middleware observes the outcome, adds metadata the backend sees
// (replacing what a client sent under that key), sets response headers, and
// refuses calls; unmatched requests (404, 405) reach it too.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { credentials } from "@grpc/grpc-js";
import {
  type CallOutcome,
  Code,
  type GatewayCall,
  type Middleware,
  Mux,
  RpcError,
} from "@ts-gateway/runtime";
import { WebSocket } from "ws";
import { ErrorServiceClient, registerErrorService } from "../gen/errors/v1/errors_gateway.js";
import { startHttpServer } from "../support/servers.js";
import {
  type Mode,
  modes,
  type PipelineGateway,
  startPipelineGateway,
} from "./pipeline-fixture.js";

/** What the observing middleware saw of one call. */
interface Seen {
  readonly call: GatewayCall;
  readonly outcome: CallOutcome;
  readonly order: string[];
}

/** A client's view of one exchange. */
interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** WebSocket only: text frames received and the close code. */
  frames?: string[];
  closeCode?: number;
}

async function http(
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<Answer> {
  const res = await fetch(url, {
    method: init.method ?? "GET",
    headers: init.headers ?? {},
    ...(init.body === undefined ? {} : { body: init.body }),
  });
  return { status: res.status, headers: Object.fromEntries(res.headers), body: await res.text() };
}

/** Opens a WebSocket, sends `send` once open, and collects frames until it closes (or the upgrade is refused). */
function ws(url: string, send: string[], headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { headers });
    const frames: string[] = [];
    let upgradeHeaders: Record<string, string> = {};
    socket.on("upgrade", (res) => {
      upgradeHeaders = Object.fromEntries(
        Object.entries(res.headers).map(([k, v]) => [k, String(v)]),
      );
    });
    socket.on("unexpected-response", (_req, res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        body += chunk;
      });
      res.on("end", () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: Object.fromEntries(Object.entries(res.headers).map(([k, v]) => [k, String(v)])),
          body,
        }),
      );
      res.on("error", reject);
    });
    socket.on("open", () => {
      for (const frame of send) socket.send(frame);
    });
    socket.on("message", (data) => frames.push(String(data)));
    socket.on("close", (code) =>
      resolve({ status: 101, headers: upgradeHeaders, body: "", frames, closeCode: code }),
    );
    socket.on("error", () => {});
  });
}

interface Row {
  readonly name: string;
  readonly transport: GatewayCall["transport"];
  readonly template: string;
  readonly service: string;
  readonly rpc: string;
  readonly backendMethod: string;
  readonly run: (g: PipelineGateway, headers: Record<string, string>) => Promise<Answer>;
  /** Expected outcome counters of the successful call. */
  readonly messagesIn: number;
  readonly messagesOut: number;
  /** Request body bytes: the JSON of every request message. */
  readonly bytesIn: number;
  readonly httpStatus: number;
  /** A check of the successful answer. */
  readonly answer: (a: Answer) => void;
}

const ndjson = { "content-type": "application/x-ndjson" };

const rows: Row[] = [
  {
    name: "unary over HTTP",
    transport: "unary",
    template: "/v1/echo",
    service: "errors.v1.ErrorService",
    rpc: "Echo",
    backendMethod: "echo",
    run: (g, h) =>
      http(`${g.url}/v1/echo`, {
        method: "POST",
        headers: { ...h, "content-type": "application/json" },
        body: '{"text":"hi"}',
      }),
    messagesIn: 1,
    messagesOut: 1,
    bytesIn: 13,
    httpStatus: 200,
    answer: (a) => assert.deepEqual(JSON.parse(a.body), { text: "hi" }),
  },
  {
    name: "server streaming over HTTP (NDJSON)",
    transport: "ndjson",
    template: "/v1/count/{n}",
    service: "streaming.v1.StreamService",
    rpc: "Count",
    backendMethod: "count",
    run: (g, h) => http(`${g.url}/v1/count/3`, { headers: h }),
    messagesIn: 1,
    messagesOut: 3,
    bytesIn: 0,
    httpStatus: 200,
    answer: (a) => assert.equal(a.body.trim().split("\n").length, 3),
  },
  {
    name: "server streaming over HTTP (SSE)",
    transport: "sse",
    template: "/v1/count/{n}",
    service: "streaming.v1.StreamService",
    rpc: "Count",
    backendMethod: "count",
    run: (g, h) => http(`${g.url}/v1/count/2`, { headers: { ...h, accept: "text/event-stream" } }),
    messagesIn: 1,
    messagesOut: 2,
    bytesIn: 0,
    httpStatus: 200,
    answer: (a) => assert.equal(a.body.match(/^data: /gm)?.length, 2),
  },
  {
    name: "client streaming over HTTP",
    transport: "http-bidi",
    template: "/v1/sums/{label}",
    service: "streaming.v1.StreamService",
    rpc: "Sum",
    backendMethod: "sum",
    run: (g, h) =>
      http(`${g.url}/v1/sums/s`, {
        method: "POST",
        headers: { ...h, ...ndjson },
        body: '{"value":2}\n{"value":3}\n',
      }),
    messagesIn: 2,
    messagesOut: 1,
    bytesIn: 22,
    httpStatus: 200,
    answer: (a) => assert.deepEqual(JSON.parse(a.body), { label: "s", total: 5, count: 2 }),
  },
  {
    name: "bidi streaming over HTTP",
    transport: "http-bidi",
    template: "/v1/rooms/{room}:echo",
    service: "streaming.v1.StreamService",
    rpc: "Echo",
    backendMethod: "echo",
    run: (g, h) =>
      http(`${g.url}/v1/rooms/r1:echo`, {
        method: "POST",
        headers: { ...h, ...ndjson },
        body: '{"text":"a"}\n{"text":"b"}\n',
      }),
    messagesIn: 2,
    messagesOut: 2,
    bytesIn: 24,
    httpStatus: 200,
    answer: (a) => assert.equal(a.body.trim().split("\n").length, 2),
  },
  {
    name: "server streaming over WebSocket",
    transport: "websocket",
    template: "/v1/count/{n}",
    service: "streaming.v1.StreamService",
    rpc: "Count",
    backendMethod: "count",
    run: (g, h) => ws(`${g.wsUrl}/v1/count/2`, [], h),
    messagesIn: 1,
    messagesOut: 2,
    bytesIn: 0,
    httpStatus: 101,
    answer: (a) => {
      assert.equal(a.closeCode, 1000);
      assert.deepEqual(a.frames, ['{"value":1}', '{"value":2}']);
    },
  },
  {
    name: "client streaming over WebSocket",
    transport: "websocket",
    template: "/v1/sums/{label}",
    service: "streaming.v1.StreamService",
    rpc: "Sum",
    backendMethod: "sum",
    run: (g, h) => ws(`${g.wsUrl}/v1/sums/w`, ['{"value":4}', '{"value":5}', ""], h),
    messagesIn: 2,
    messagesOut: 1,
    bytesIn: 22,
    httpStatus: 101,
    answer: (a) => {
      assert.equal(a.closeCode, 1000);
      assert.deepEqual(
        a.frames?.map((f) => JSON.parse(f)),
        [{ label: "w", total: 9, count: 2 }],
      );
    },
  },
  {
    name: "bidi streaming over WebSocket",
    transport: "websocket",
    template: "/v1/rooms/{room}:echo",
    service: "streaming.v1.StreamService",
    rpc: "Echo",
    backendMethod: "echo",
    run: (g, h) => ws(`${g.wsUrl}/v1/rooms/r2:echo`, ['{"text":"x"}', ""], h),
    messagesIn: 1,
    messagesOut: 1,
    bytesIn: 12,
    httpStatus: 101,
    answer: (a) => {
      assert.equal(a.closeCode, 1000);
      assert.deepEqual(
        a.frames?.map((f) => JSON.parse(f)),
        [{ room: "r2", text: "X", seq: 1 }],
      );
    },
  },
];

/**
 * The middlewares under test: `outer` observes outcomes; `edge` adds
 * metadata, sets a header and refuses calls carrying `x-refuse` (after an
 * await, to be asynchronous).
 */
function middlewares(seen: Seen[], waiters: Array<() => void>): Middleware[] {
  const outer: Middleware = async (call, next) => {
    const order = ["outer"];
    (call as { order?: string[] }).order = order;
    const outcome = await next();
    seen.push({ call, outcome, order });
    for (const w of waiters.splice(0)) w();
  };
  const edge: Middleware = async (call, next) => {
    (call as { order?: string[] }).order?.push("edge");
    await new Promise((resolve) => setImmediate(resolve));
    call.setHeader("x-pipeline", "yes");
    call.metadata.set("x-added", "by-middleware");
    if (call.headers["x-refuse"] !== undefined) {
      call.setHeader("retry-after", "7");
      throw new RpcError("refused by the pipeline", Code.PermissionDenied);
    }
    await next();
  };
  return [outer, edge];
}

for (const mode of modes) {
  describe(`pipeline, ${mode} backend`, () => {
    let g: PipelineGateway;
    const seen: Seen[] = [];
    const waiters: Array<() => void> = [];
    /** The observation of the next call to finish (the client may see its answer before the response's close). */
    const observed = async (): Promise<Seen> => {
      while (seen.length === 0) await new Promise<void>((resolve) => waiters.push(resolve));
      return seen.shift() as Seen;
    };
    before(async () => {
      g = await startPipelineGateway(mode as Mode, middlewares(seen, waiters));
    });
    after(() => g.close());

    for (const row of rows) {
      test(`${row.name}: observed, metadata added, header set`, async () => {
        const before = g.backendCalls.length;
        // A forged value of the key the middleware sets must not reach the backend.
        const answer = await row.run(g, { "grpc-metadata-x-added": "forged" });
        row.answer(answer);
        assert.equal(answer.headers["x-pipeline"], "yes");
        const { call, outcome, order } = await observed();
        assert.deepEqual(order, ["outer", "edge"]);
        assert.equal(call.transport, row.transport);
        assert.equal(call.route?.template, row.template);
        assert.equal(call.route?.service, row.service);
        assert.equal(call.route?.rpc, row.rpc);
        assert.equal(call.unmatched, undefined);
        assert.ok(call.peer.address?.includes("127.0.0.1"));
        assert.notEqual(call.context, undefined);
        assert.equal(outcome.httpStatus, row.httpStatus);
        assert.equal(outcome.code, Code.Ok);
        assert.equal(outcome.error, undefined);
        assert.equal(outcome.messagesIn, row.messagesIn);
        assert.equal(outcome.messagesOut, row.messagesOut);
        assert.equal(outcome.bytesIn, row.bytesIn);
        assert.ok(outcome.bytesOut > 0, "bytes out counted");
        assert.ok(outcome.durationMs > 0);
        assert.equal(outcome.endpoint, g.backendAddress, "the endpoint that served a remote call");
        const backend = g.backendCalls.slice(before);
        assert.equal(backend.length, 1);
        assert.equal(backend[0]?.method, row.backendMethod);
        assert.deepEqual(backend[0]?.metadata["x-added"], ["by-middleware"]);
      });

      test(`${row.name}: refused with the mux's error format`, async () => {
        const before = g.backendCalls.length;
        const answer = await row.run(g, { "x-refuse": "1" });
        assert.equal(answer.status, 403);
        assert.deepEqual(JSON.parse(answer.body), {
          code: Code.PermissionDenied,
          message: "refused by the pipeline",
          details: [],
        });
        assert.equal(answer.headers["retry-after"], "7");
        assert.equal(answer.headers["x-pipeline"], "yes");
        const { outcome } = await observed();
        assert.equal(outcome.httpStatus, 403);
        assert.equal(outcome.code, Code.PermissionDenied);
        assert.equal(outcome.error?.rawMessage, "refused by the pipeline");
        assert.equal(outcome.endpoint, undefined);
        assert.equal(g.backendCalls.length, before, "the backend was not called");
      });
    }

    test("a stream failing after its first message: HTTP 200, the error's code", async () => {
      const answer = await http(`${g.url}/v1/rooms/r3:echo`, {
        method: "POST",
        headers: ndjson,
        body: '{"text":"a"}\n{"text":"b","fail":true}\n',
      });
      assert.equal(answer.status, 200);
      const { outcome } = await observed();
      assert.equal(outcome.httpStatus, 200);
      assert.equal(outcome.code, Code.Aborted);
      assert.equal(outcome.messagesOut, 1);
      assert.equal(outcome.endpoint, g.backendAddress);
    });

    const unmatched = [
      { method: "GET", path: "/v1/nowhere", status: 404, why: "not-found", code: Code.NotFound },
      {
        method: "DELETE",
        path: "/v1/echo",
        status: 405,
        why: "method-not-allowed",
        code: Code.Unimplemented,
      },
      {
        method: "GET",
        path: "/v1/echo/%zz",
        status: 400,
        why: "bad-path",
        code: Code.InvalidArgument,
      },
    ] as const;
    for (const u of unmatched) {
      test(`${u.method} ${u.path}: ${u.status}, seen as ${u.why}`, async () => {
        const answer = await http(`${g.url}${u.path}`, { method: u.method });
        assert.equal(answer.status, u.status);
        assert.equal(answer.headers["x-pipeline"], "yes");
        const { call, outcome } = await observed();
        assert.equal(call.route, undefined);
        assert.equal(call.unmatched, u.why);
        assert.equal(outcome.httpStatus, u.status);
        assert.equal(outcome.code, u.code);
        assert.equal(outcome.endpoint, undefined);
        if (u.status === 405) assert.deepEqual(call.allow, ["POST"]);
      });
    }

    test("a WebSocket upgrade no route matches: 404, seen", async () => {
      const answer = await ws(`${g.wsUrl}/v1/nowhere`, []);
      assert.equal(answer.status, 404);
      assert.equal(JSON.parse(answer.body).code, Code.NotFound);
      const { call, outcome } = await observed();
      assert.equal(call.transport, "websocket");
      assert.equal(call.unmatched, "not-found");
      assert.equal(outcome.httpStatus, 404);
    });
  });
}

describe("pipeline semantics", () => {
  let g: PipelineGateway | undefined;
  after(() => g?.close());

  test("a middleware answers a request itself (a CORS preflight on a known path)", async () => {
    const outcomes: CallOutcome[] = [];
    g = await startPipelineGateway("local", [
      async (_call, next) => {
        outcomes.push(await next());
      },
      (call, next) => {
        if (call.httpMethod !== "OPTIONS" || call.res === undefined) return next().then(() => {});
        call.res.writeHead(204, { "access-control-allow-methods": (call.allow ?? []).join(", ") });
        call.res.end();
      },
    ]);
    const answer = await http(`${g.url}/v1/echo`, { method: "OPTIONS" });
    assert.equal(answer.status, 204);
    assert.equal(answer.headers["access-control-allow-methods"], "POST");
    while (outcomes.length === 0) await new Promise((resolve) => setImmediate(resolve));
    assert.equal(outcomes[0]?.httpStatus, 204);
    assert.equal(outcomes[0]?.code, Code.Ok);
    await g.close();
    g = undefined;
  });

  test("a remote call no endpoint took: 503, no endpoint in the outcome", async () => {
    const outcomes: CallOutcome[] = [];
    const mux = new Mux();
    mux.use(async (_call, next) => {
      outcomes.push(await next());
    });
    // Port 1 on loopback refuses connections: grpc-js fails the call UNAVAILABLE.
    const client = new ErrorServiceClient("127.0.0.1:1", credentials.createInsecure());
    registerErrorService(mux, client);
    const server = await startHttpServer(mux.handler);
    try {
      const answer = await http(`${server.url}/v1/echo/x`, { headers: { "grpc-timeout": "5S" } });
      assert.equal(answer.status, 503, answer.body);
      while (outcomes.length === 0) await new Promise((resolve) => setImmediate(resolve));
      assert.equal(outcomes[0]?.code, Code.Unavailable);
      assert.equal(outcomes[0]?.endpoint, undefined);
    } finally {
      client.close();
      await server.close();
    }
  });

  test("a middleware that neither calls next() nor answers: 500, not a hang", async () => {
    g = await startPipelineGateway("local", [() => {}]);
    const answer = await http(`${g.url}/v1/echo/x`);
    assert.equal(answer.status, 500);
    assert.equal(JSON.parse(answer.body).code, Code.Internal);
    await g.close();
    g = undefined;
  });

  test("a middleware that throws after next(): the answer stands", async () => {
    g = await startPipelineGateway("local", [
      async (_call, next) => {
        await next();
        throw new Error("late");
      },
    ]);
    const answer = await http(`${g.url}/v1/echo/x`);
    assert.equal(answer.status, 200);
    assert.deepEqual(JSON.parse(answer.body), { text: "x" });
    await g.close();
    g = undefined;
  });

  test("a non-RpcError thrown before next(): 500 INTERNAL in the error format", async () => {
    g = await startPipelineGateway("local", [
      () => {
        throw new Error("boom");
      },
    ]);
    const answer = await http(`${g.url}/v1/echo/x`);
    assert.equal(answer.status, 500);
    assert.equal(JSON.parse(answer.body).code, Code.Internal);
    await g.close();
    g = undefined;
  });
});
