// The mux options of issue 26, one table row each, through a real mux in front
// of a real grpc-js backend (generated client, loopback port) over real HTTP.
// Every row runs with both JSON codecs (compiled, protobuf-es) and with the
// options given both ways: to the Mux's constructor, and to one `register`
// call of a mux whose own options are the defaults (per-route options).
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { credentials } from "@grpc/grpc-js";
import {
  attachWebSocket,
  type Codec,
  compiledCodec,
  Mux,
  type MuxOptions,
  protobufEsCodec,
  type RegisterOptions,
} from "@ts-gateway/runtime";
import { WebSocket } from "ws";
import {
  CounterServiceClient,
  counterServiceRoutes,
} from "../gen/muxoptions/v1/mux_options_gateway.js";
import {
  type GrpcTestServer,
  type HttpTestServer,
  request,
  startHttpServer,
  type TestResponse,
} from "../support/servers.js";
import { big, fakeMark, startCounterBackend } from "./counter-fixture.js";

interface Row {
  readonly name: string;
  readonly options: RegisterOptions & Pick<MuxOptions, "streamErrorHandler">;
  readonly method?: string;
  readonly path: string;
  readonly body?: unknown;
  readonly accept?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly rawBody?: string;
  readonly status: number;
  readonly check?: (res: TestResponse) => void;
}

/** The `google.rpc.Status` code of an error answer. */
function codeOf(res: TestResponse): number {
  return (res.json as { code: number }).code;
}

/** NDJSON lines, parsed. */
function lines(res: TestResponse): unknown[] {
  return res.text
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as unknown);
}

export const muxOptionRows: Row[] = [
  {
    name: "X-HTTP-Method-Override is not honoured: a POST stays a POST (405)",
    options: {},
    method: "POST",
    path: "/v1/counters/a",
    headers: { "x-http-method-override": "GET" },
    status: 405,
    check: (res) => assert.equal(res.headers.get("allow"), "GET, PATCH, PUT"),
  },
  {
    name: "no path-length fallback: a form POST to a GET-only path is 405, not served as GET",
    options: {},
    method: "POST",
    path: "/v1/counters/a",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    rawBody: "value=5",
    status: 405,
  },
  {
    name: "default: compact JSON with Content-Length, int64 as strings",
    options: {},
    path: "/v1/counters/a",
    status: 200,
    check: (res) => {
      assert.ok(!res.text.includes("\n"), res.text);
      assert.equal(res.headers.get("content-length"), String(Buffer.byteLength(res.text)));
      assert.equal((res.json as { value: string }).value, String(big));
    },
  },
  {
    name: "indent: 2 pretty-prints a unary answer",
    options: { indent: 2 },
    path: "/v1/counters/a",
    status: 200,
    check: (res) => assert.equal(res.text, JSON.stringify(res.json, null, 2)),
  },
  {
    name: "int64AsNumber: every 64-bit field is a number, every digit kept",
    options: { int64AsNumber: true },
    path: "/v1/counters/a",
    status: 200,
    check: (res) => {
      const t = res.text;
      assert.match(t, new RegExp(`"value":${big}[,}]`));
      assert.match(t, new RegExp(`"total":${big}[,}]`));
      assert.match(t, new RegExp(`"history":\\[-${big},7\\]`));
      assert.match(t, new RegExp(`"byKey":\\{"a":${big}\\}`));
      assert.match(t, /"limit":-5[,}]/);
      assert.match(t, /"parent":\{"name":"root","value":3\}/);
      assert.match(t, /"small":1[,}]/);
      assert.equal(
        (res.json as { note: string }).note,
        fakeMark,
        "a look-alike mark stays a string",
      );
    },
  },
  {
    name: "int64AsNumber with indent: 2",
    options: { int64AsNumber: true, indent: 2 },
    path: "/v1/counters/a?value=-12",
    status: 200,
    check: (res) => {
      assert.match(res.text, /\n {2}"value": -12,\n/);
      assert.match(res.text, new RegExp(`"total": ${big},`));
    },
  },
  {
    name: "default: a body field the path binds loses to the path",
    options: {},
    method: "PUT",
    path: "/v1/counters/a",
    body: { name: "b", value: "1" },
    status: 200,
    check: (res) => assert.equal((res.json as { name: string }).name, "a"),
  },
  {
    name: "rejectBindingBodyFieldCollisions: body * setting the bound field is 400",
    options: { rejectBindingBodyFieldCollisions: true },
    method: "PUT",
    path: "/v1/counters/a",
    body: { name: "b", value: "1" },
    status: 400,
    check: (res) => {
      assert.equal(codeOf(res), 3);
      assert.match(res.text, /sets field \\"name\\", which the path binds/);
    },
  },
  {
    name: "rejectBindingBodyFieldCollisions: body * without the bound field passes",
    options: { rejectBindingBodyFieldCollisions: true },
    method: "PUT",
    path: "/v1/counters/a",
    body: { value: "1" },
    status: 200,
    check: (res) => assert.deepEqual(res.json, { name: "a", value: "1" }),
  },
  {
    name: "rejectBindingBodyFieldCollisions: body field (counter) setting counter.name is 400",
    options: { rejectBindingBodyFieldCollisions: true },
    method: "PATCH",
    path: "/v1/counters/a",
    body: { name: "b" },
    status: 400,
    check: (res) => assert.match(res.text, /counter\.name/),
  },
  {
    name: "rejectBindingBodyFieldCollisions: the proto name is a collision too",
    options: { rejectBindingBodyFieldCollisions: true },
    method: "PUT",
    path: "/v1/counters/a",
    body: { name: null, by_key: {} },
    status: 400,
  },
  {
    name: "rejectBindingBodyFieldCollisions: a form body's path-bound key is skipped, as without it",
    options: { rejectBindingBodyFieldCollisions: true },
    method: "PUT",
    path: "/v1/counters/a",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    rawBody: "name=b&value=1",
    status: 200,
    check: (res) => assert.deepEqual(res.json, { name: "a", value: "1" }),
  },
  {
    name: "default: an unknown query parameter is ignored",
    options: {},
    path: "/v1/counters/a?api_key=s3cret",
    status: 200,
  },
  {
    name: "rejectUnknownQueryParameters: api_key is 400",
    options: { rejectUnknownQueryParameters: true },
    path: "/v1/counters/a?api_key=s3cret",
    status: 400,
    check: (res) => assert.match(res.text, /unknown query parameter/),
  },
  {
    name: "ignoredQueryParameters: api_key passes, and a field it names is not set",
    options: { rejectUnknownQueryParameters: true, ignoredQueryParameters: ["api_key", "note"] },
    path: "/v1/counters/a?api_key=s3cret&note=hi&value=5",
    status: 200,
    check: (res) => {
      const json = res.json as { note: string; value: string };
      assert.equal(json.note, fakeMark, "note= was skipped");
      assert.equal(json.value, "5");
    },
  },
  {
    name: "captureUnknownQueryParameters: unknown parameters land in the map field",
    options: { captureUnknownQueryParameters: "extra", rejectUnknownQueryParameters: true },
    path: "/v1/counters/a?api_key=s3cret&utm_source=x%20y&value=5",
    status: 200,
    check: (res) => {
      const json = res.json as { note: string; value: string };
      assert.deepEqual(JSON.parse(json.note), { api_key: "s3cret", utm_source: "x y" });
      assert.equal(json.value, "5");
    },
  },
  {
    name: "captureUnknownQueryParameters: a key sent twice is 400",
    options: { captureUnknownQueryParameters: "extra" },
    path: "/v1/counters/a?tag=a&tag=b",
    status: 400,
    check: (res) => assert.match(res.text, /multiple values for query parameter \\"tag\\"/),
  },
  {
    name: "captureUnknownQueryParameters: a request without the field refuses as before",
    options: { captureUnknownQueryParameters: "extra", rejectUnknownQueryParameters: true },
    path: "/v1/counters?count=1&api_key=s3cret",
    status: 400,
  },
  {
    name: "default: an enum name spelled in another case is 400",
    options: {},
    path: "/v1/counters/a?color=color_dark_blue",
    status: 400,
    check: (res) => assert.match(res.text, /not a value of enum muxoptions\.v1\.Color/),
  },
  {
    name: "caseInsensitiveEnumParsing: a query enum in any case",
    options: { caseInsensitiveEnumParsing: true },
    path: "/v1/counters/a?color=color_Dark_Blue",
    status: 200,
    check: (res) => assert.equal((res.json as { color: string }).color, "COLOR_DARK_BLUE"),
  },
  {
    name: "caseInsensitiveEnumParsing: body enums in any case, lists too",
    options: { caseInsensitiveEnumParsing: true },
    method: "PUT",
    path: "/v1/counters/a",
    body: { color: "color_red", colors: ["Color_Dark_Blue", "COLOR_RED"] },
    status: 200,
    check: (res) =>
      assert.deepEqual(res.json, {
        name: "a",
        color: "COLOR_RED",
        colors: ["COLOR_DARK_BLUE", "COLOR_RED"],
      }),
  },
  {
    name: "caseInsensitiveEnumParsing: a name no value has is still 400",
    options: { caseInsensitiveEnumParsing: true },
    path: "/v1/counters/a?color=purple",
    status: 400,
  },
  {
    name: "removeEnumPrefix: names are written without the prefix",
    options: { removeEnumPrefix: true },
    path: "/v1/counters/a",
    status: 200,
    check: (res) => {
      const json = res.json as { color: string; colors: string[] };
      assert.equal(json.color, "RED");
      assert.deepEqual(json.colors, ["RED", "DARK_BLUE"]);
    },
  },
  {
    name: "removeEnumPrefix: a request may use the short or the full name",
    options: { removeEnumPrefix: true },
    method: "PUT",
    path: "/v1/counters/a",
    body: { color: "DARK_BLUE", colors: ["COLOR_RED", "RED"] },
    status: 200,
    check: (res) =>
      assert.deepEqual(res.json, { name: "a", color: "DARK_BLUE", colors: ["RED", "RED"] }),
  },
  {
    name: "removeEnumPrefix with caseInsensitiveEnumParsing: dark_blue in the query",
    options: { removeEnumPrefix: true, caseInsensitiveEnumParsing: true },
    path: "/v1/counters/a?color=dark_blue",
    status: 200,
    check: (res) => assert.equal((res.json as { color: string }).color, "DARK_BLUE"),
  },
  {
    name: "removeEnumPrefix with enumAsInteger: numbers",
    options: { removeEnumPrefix: true, enumAsInteger: true },
    path: "/v1/counters/a?color=DARK_BLUE",
    status: 200,
    check: (res) => assert.equal((res.json as { color: number }).color, 2),
  },
  {
    name: 'streamFraming: "json-array" is one JSON array',
    options: { streamFraming: "json-array" },
    path: "/v1/counters?count=3",
    status: 200,
    check: (res) => {
      assert.equal(res.headers.get("content-type"), "application/json");
      const list = res.json as Array<{ name: string }>;
      assert.deepEqual(
        list.map((c) => c.name),
        ["c1", "c2", "c3"],
      );
    },
  },
  {
    name: 'streamFraming: "json-array" of no message is []',
    options: { streamFraming: "json-array" },
    path: "/v1/counters?count=0",
    status: 200,
    check: (res) => assert.deepEqual(res.json, []),
  },
  {
    name: 'streamFraming: "json-array" ends a failed stream with the error element',
    options: { streamFraming: "json-array", indent: 1 },
    path: "/v1/counters?count=2&failCode=5",
    status: 200,
    check: (res) => {
      const list = res.json as Array<{ name?: string; error?: { code: number } }>;
      assert.equal(list.length, 3);
      assert.equal(list[1]?.name, "c2");
      assert.equal(list[2]?.error?.code, 5);
    },
  },
  {
    name: 'streamFraming: "json-array" leaves SSE to clients that ask for it',
    options: { streamFraming: "json-array" },
    path: "/v1/counters?count=2",
    accept: "text/event-stream",
    status: 200,
    check: (res) => assert.equal(res.text.split("data: ").length, 3),
  },
  {
    name: "maxResponseBytes: a unary answer under the cap",
    options: { maxResponseBytes: 400 },
    path: "/v1/counters/a?noteBytes=10",
    status: 200,
  },
  {
    name: "maxResponseBytes: a unary answer over the cap is 502 RESOURCE_EXHAUSTED",
    options: { maxResponseBytes: 400 },
    path: "/v1/counters/a?noteBytes=1000",
    status: 502,
    check: (res) => {
      assert.equal(codeOf(res), 8);
      assert.match(res.text, /over the gateway's limit of 400 \(maxResponseBytes\)/);
    },
  },
  {
    name: "maxResponseBytes: counts UTF-8 bytes, not characters",
    options: { maxResponseBytes: 400 },
    path: `/v1/counters/a?note=${encodeURIComponent("é".repeat(150))}`,
    status: 502,
  },
  {
    name: "maxResponseBytes: a stream's first message over the cap is a plain 502",
    options: { maxResponseBytes: 300 },
    path: "/v1/counters?count=2&noteBytes=400",
    status: 502,
    check: (res) => assert.equal(codeOf(res), 8),
  },
  {
    name: "maxResponseBytes: a later stream message over the cap ends it with the error line",
    options: { maxResponseBytes: 600 },
    path: "/v1/counters?count=3&noteBytes=300",
    status: 200,
    check: (res) => {
      const got = lines(res) as Array<{ result?: unknown; error?: { code: number } }>;
      assert.equal(got.length, 2, res.text);
      assert.ok(got[0]?.result !== undefined);
      assert.equal(got[1]?.error?.code, 8);
    },
  },
  {
    name: "responseRewriter: wraps a unary answer",
    options: { responseRewriter: (json, _m, method) => ({ data: json, rpc: method.name }) },
    path: "/v1/counters/a",
    status: 200,
    check: (res) => {
      const json = res.json as { data: { name: string }; rpc: string };
      assert.equal(json.data.name, "a");
      assert.equal(json.rpc, "GetCounter");
    },
  },
  {
    name: "responseRewriter: reshapes each NDJSON message",
    options: { responseRewriter: (json) => ({ wrapped: json }) },
    path: "/v1/counters?count=2",
    status: 200,
    check: (res) => {
      const got = lines(res) as Array<{ result: { wrapped: { name: string } } }>;
      assert.deepEqual(
        got.map((l) => l.result.wrapped.name),
        ["c1", "c2"],
      );
    },
  },
  {
    name: "responseRewriter: one that throws answers 500 INTERNAL, cleanly",
    options: {
      responseRewriter: () => {
        throw new Error("boom");
      },
    },
    path: "/v1/counters/a",
    status: 500,
    check: (res) => {
      assert.equal(codeOf(res), 13);
      assert.match(res.text, /response rewriter failed: Error: boom/);
    },
  },
  {
    name: "responseRewriter: one that returns what JSON cannot hold answers 500",
    options: { responseRewriter: () => 1n as unknown as null },
    path: "/v1/counters/a",
    status: 500,
    check: (res) => assert.match(res.text, /response is not JSON/),
  },
  {
    name: "responseRewriter: one that returns undefined answers 500",
    options: { responseRewriter: () => undefined as unknown as null },
    path: "/v1/counters/a",
    status: 500,
    check: (res) => assert.match(res.text, /returned no JSON value/),
  },
  {
    name: "responseRewriter: one that throws mid-stream ends it with an INTERNAL line",
    options: {
      responseRewriter: (json) => {
        if ((json as { name: string }).name === "c2") throw new Error("c2 is bad");
        return json;
      },
    },
    path: "/v1/counters?count=3",
    status: 200,
    check: (res) => {
      const got = lines(res) as Array<{ error?: { code: number; message: string } }>;
      assert.equal(got.length, 2);
      assert.equal(got[1]?.error?.code, 13);
    },
  },
  {
    name: "default: a failed stream's last line is {error: status}",
    options: {},
    path: "/v1/counters?count=1&failCode=9",
    status: 200,
    check: (res) => {
      const got = lines(res) as Array<{ error?: { code: number; message: string } }>;
      assert.equal(got[1]?.error?.code, 9);
      assert.equal(got[1]?.error?.message, "the counters ran out");
    },
  },
  {
    name: "streamErrorHandler: shapes the NDJSON error line",
    options: {
      streamErrorHandler: (e) => ({ failure: { grpcCode: e.code, text: e.rawMessage } }),
    },
    path: "/v1/counters?count=1&failCode=9",
    status: 200,
    check: (res) =>
      assert.deepEqual(lines(res)[1], {
        failure: { grpcCode: 9, text: "the counters ran out" },
      }),
  },
  {
    name: "streamErrorHandler: shapes the SSE error event",
    options: { streamErrorHandler: (e) => ({ failure: e.code }) },
    path: "/v1/counters?count=1&failCode=9",
    accept: "text/event-stream",
    status: 200,
    check: (res) => assert.match(res.text, /event: error\ndata: \{"failure":9\}\n\n$/),
  },
  {
    name: "streamErrorHandler: shapes the JSON array's error element",
    options: { streamFraming: "json-array", streamErrorHandler: (e) => ({ failure: e.code }) },
    path: "/v1/counters?count=1&failCode=9",
    status: 200,
    check: (res) => assert.deepEqual((res.json as unknown[])[1], { failure: 9 }),
  },
  {
    name: "streamErrorHandler: one that throws gets the default line",
    options: {
      streamErrorHandler: () => {
        throw new Error("handler bug");
      },
    },
    path: "/v1/counters?count=1&failCode=9",
    status: 200,
    check: (res) => assert.equal((lines(res)[1] as { error: { code: number } }).error.code, 9),
  },
];

const codecs: Codec[] = [compiledCodec, protobufEsCodec];

describe("mux options through a real mux and grpc-js backend", { timeout: 60_000 }, () => {
  let backend: GrpcTestServer;
  let client: CounterServiceClient;
  let http: HttpTestServer;
  /** Per row, per codec, per way: the mux that serves `/r<n>/...`. */
  const muxes = new Map<string, Mux>();

  before(async () => {
    backend = await startCounterBackend();
    client = new CounterServiceClient(backend.address, credentials.createInsecure());
    for (const codec of codecs) {
      // One mux with defaults, each row's options on its own register call.
      const perRoute = new Mux({ notFound: "404", codec });
      muxOptionRows.forEach((row, i) => {
        perRoute.register(counterServiceRoutes, client, {
          ...row.options,
          pathPrefix: `/r${i}`,
        });
        const own = new Mux({ notFound: "404", codec, ...row.options });
        own.register(counterServiceRoutes, client, { pathPrefix: `/r${i}` });
        muxes.set(`${codec.name} mux ${i}`, own);
      });
      muxes.set(`${codec.name} register`, perRoute);
    }
    http = await startHttpServer((req, res) => {
      const m = /^\/(mux|register)\/([^/]+)(\/r(\d+)\/.*)$/.exec(req.url ?? "");
      const mux =
        m === null
          ? undefined
          : muxes.get(m[1] === "register" ? `${m[2]} register` : `${m[2]} mux ${m[4]}`);
      if (m === null || mux === undefined) {
        res.statusCode = 599;
        res.end();
        return;
      }
      req.url = m[3];
      mux.handle(req, res);
    });
  });

  after(async () => {
    await http?.close();
    client?.transport.close();
    await backend?.close();
  });

  for (const codec of codecs) {
    for (const way of ["mux", "register"] as const) {
      muxOptionRows.forEach((row, i) => {
        it(`${codec.name}, ${way}: ${row.name}`, async () => {
          const headers: Record<string, string> = { ...row.headers };
          if (row.accept !== undefined) headers.accept = row.accept;
          const res = await request(`${http.url}/${way}/${codec.name}/r${i}${row.path}`, {
            method: row.method ?? "GET",
            headers,
            ...(row.body === undefined ? {} : { json: row.body }),
            ...(row.rawBody === undefined ? {} : { body: row.rawBody }),
            signal: AbortSignal.timeout(10_000),
          });
          assert.equal(res.status, row.status, res.text.slice(0, 500));
          row.check?.(res);
        });
      });
    }
  }

  const badConfigs: Array<[string, MuxOptions, RegExp]> = [
    ["indent: 1000000", { indent: 1_000_000 }, /indent must be an integer from 0 to 10/],
    ["indent: -1", { indent: -1 }, /indent must be an integer/],
    ["indent: 2.5", { indent: 2.5 }, /indent must be an integer/],
    ["maxResponseBytes: -1", { maxResponseBytes: -1 }, /maxResponseBytes must be an integer/],
  ];
  for (const [name, options, error] of badConfigs) {
    it(`configuration error: ${name} is refused at construction`, () => {
      assert.throws(() => new Mux(options), error);
      assert.throws(
        () => new Mux().register(counterServiceRoutes, client, options as RegisterOptions),
        error,
      );
    });
  }
});

interface SocketRow {
  readonly name: string;
  readonly options: RegisterOptions;
  readonly path: string;
  /** The close code: 1000, or 4000 + the gRPC code. */
  readonly close: number;
  readonly check?: (frames: string[]) => void;
}

/** The options that shape messages, over WebSocket (each message one text frame). */
const socketRows: SocketRow[] = [
  {
    name: "responseRewriter: reshapes each WebSocket message",
    options: { responseRewriter: (json) => ({ wrapped: json }) },
    path: "/v1/counters?count=2",
    close: 1000,
    check: (frames) =>
      assert.deepEqual(
        frames.map((f) => (JSON.parse(f) as { wrapped: { name: string } }).wrapped.name),
        ["c1", "c2"],
      ),
  },
  {
    name: "responseRewriter: one that throws closes with 4013 (INTERNAL)",
    options: {
      responseRewriter: (json) => {
        if ((json as { name: string }).name === "c2") throw new Error("c2 is bad");
        return json;
      },
    },
    path: "/v1/counters?count=3",
    close: 4013,
    check: (frames) => assert.equal(frames.length, 1),
  },
  {
    name: "maxResponseBytes: a message over the cap closes with 4008 (RESOURCE_EXHAUSTED)",
    options: { maxResponseBytes: 600 },
    path: "/v1/counters?count=3&noteBytes=300",
    close: 4008,
    check: (frames) => assert.equal(frames.length, 1),
  },
  {
    name: "int64AsNumber and removeEnumPrefix: WebSocket messages",
    options: { int64AsNumber: true, removeEnumPrefix: true },
    path: "/v1/counters?count=1",
    close: 1000,
    check: (frames) => {
      assert.match(frames[0] ?? "", new RegExp(`"total":${big}[,}]`));
      assert.match(frames[0] ?? "", /"color":"RED"/);
    },
  },
];

describe("mux options over WebSocket", { timeout: 60_000 }, () => {
  let backend: GrpcTestServer;
  let client: CounterServiceClient;
  let http: HttpTestServer;
  let detach: () => void = () => {};

  before(async () => {
    backend = await startCounterBackend();
    client = new CounterServiceClient(backend.address, credentials.createInsecure());
    const mux = new Mux({ notFound: "404", webSocket: true });
    socketRows.forEach((row, i) => {
      mux.register(counterServiceRoutes, client, { ...row.options, pathPrefix: `/w${i}` });
    });
    http = await startHttpServer(mux.handler);
    detach = attachWebSocket(http.server, mux);
  });

  after(async () => {
    detach();
    await http?.close();
    client?.transport.close();
    await backend?.close();
  });

  socketRows.forEach((row, i) => {
    it(row.name, async () => {
      const ws = new WebSocket(`${http.url.replace("http", "ws")}/w${i}${row.path}`);
      const frames: string[] = [];
      ws.on("message", (data) => frames.push(String(data)));
      ws.on("error", () => {});
      const code = await new Promise<number>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error("no close within 10 s")), 10_000);
        ws.on("close", (c) => {
          clearTimeout(timer);
          resolve(c);
        });
      });
      assert.equal(code, row.close, frames.join("\n"));
      row.check?.(frames);
    });
  });
});
