// Errors the gateway raises itself (routing, decoding, limits, an unreachable
// backend) answer in the same google.rpc.Status shape, with a fitting code;
// and the mux-wide errorHandler replaces the writer for all of them.
import assert from "node:assert/strict";
import { createServer } from "node:net";
import { after, before, describe, test } from "node:test";
import { gzipSync } from "node:zlib";
import { credentials } from "@grpc/grpc-js";
import { Code, Mux, type MuxOptions, type RpcError } from "@ts-gateway/runtime";
import { createChannel } from "@ts-gateway/runtime/balancer";
import { ErrorServiceClient, registerErrorService } from "../gen/errors/v1/errors_gateway.js";
import { request, startHttpServer } from "../support/servers.js";
import { type ErrorGateway, startErrorGateway } from "./error-fixture.js";

interface Row {
  name: string;
  method?: string;
  path: string;
  body?: string | Buffer;
  headers?: Record<string, string>;
  status: number;
  code: Code;
  /** Substring of the error message. */
  message: string;
  responseHeaders?: Record<string, string>;
}

const fourMiB = 4 * 1024 * 1024;

const rows: Row[] = [
  {
    name: "bad JSON",
    method: "POST",
    path: "/v1/echo",
    body: '{"text": ',
    headers: { "content-type": "application/json" },
    status: 400,
    code: Code.InvalidArgument,
    message: "",
  },
  {
    name: "JSON of the wrong type",
    method: "POST",
    path: "/v1/echo",
    body: '{"count": "many"}',
    headers: { "content-type": "application/json" },
    status: 400,
    code: Code.InvalidArgument,
    message: "",
  },
  {
    name: "bad query parameter value",
    path: "/v1/echo/hi?count=abc",
    status: 400,
    code: Code.InvalidArgument,
    message: "count",
  },
  {
    name: "unknown route",
    path: "/v1/nothing/here",
    status: 404,
    code: Code.NotFound,
    message: "no route",
  },
  {
    name: "wrong method",
    method: "DELETE",
    path: "/v1/echo",
    status: 405,
    code: Code.Unimplemented,
    message: "not allowed",
    responseHeaders: { allow: "POST" },
  },
  {
    name: "body over the default 4 MiB",
    method: "POST",
    path: "/v1/echo",
    body: Buffer.alloc(fourMiB + 1, 0x20),
    headers: { "content-type": "application/json" },
    status: 413,
    code: Code.ResourceExhausted,
    message: `${fourMiB} bytes`,
  },
  {
    name: "unsupported media type",
    method: "POST",
    path: "/v1/echo",
    body: "text=hi",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    status: 415,
    code: Code.InvalidArgument,
    message: "Content-Type",
  },
  {
    name: "invalid Grpc-Timeout",
    path: "/v1/echo/hi",
    headers: { "grpc-timeout": "soon" },
    status: 400,
    code: Code.InvalidArgument,
    message: "grpc-timeout",
  },
  {
    name: "Grpc-Timeout with too many digits",
    path: "/v1/echo/hi",
    headers: { "grpc-timeout": "123456789S" },
    status: 400,
    code: Code.InvalidArgument,
    message: "grpc-timeout",
  },
  {
    name: "invalid base64 in a -bin metadata header",
    path: "/v1/echo/hi",
    headers: { "grpc-metadata-blob-bin": "not base64!" },
    status: 400,
    code: Code.InvalidArgument,
    message: "base64",
  },
  {
    name: "a Grpc-Metadata value that is not printable ASCII",
    path: "/v1/echo/hi",
    headers: { "grpc-metadata-name": "J\u00fcrgen" },
    status: 400,
    code: Code.InvalidArgument,
    message: 'header "grpc-metadata-name" has a value that is not printable ASCII',
  },
  {
    name: "a body in an encoding the gateway does not decode",
    method: "POST",
    path: "/v1/echo",
    body: gzipSync('{"text":"hi"}'),
    headers: { "content-type": "application/json", "content-encoding": "compress" },
    status: 415,
    code: Code.InvalidArgument,
    message: 'Content-Encoding "compress"',
  },
  {
    name: "a plain body labelled br",
    method: "POST",
    path: "/v1/echo",
    body: '{"text":"hi"}',
    headers: { "content-type": "application/json", "content-encoding": "br" },
    status: 400,
    code: Code.InvalidArgument,
    message: "not valid br",
  },
];

describe("gateway-raised errors", () => {
  let gw: ErrorGateway;
  before(async () => {
    gw = await startErrorGateway("remote");
  });
  after(() => gw.close());

  for (const row of rows) {
    test(`${row.name} → ${row.status}`, async () => {
      const before = gw.service.seen.length;
      const res = await request(gw.url + row.path, {
        method: row.method ?? "GET",
        ...(row.headers === undefined ? {} : { headers: row.headers }),
        ...(row.body === undefined ? {} : { body: row.body }),
      });
      assert.equal(res.status, row.status, res.text);
      const body = res.json as { code: number; message: string; details: unknown[] };
      assert.deepEqual(Object.keys(body), ["code", "message", "details"]);
      assert.equal(body.code, row.code);
      assert.ok(body.message.includes(row.message), `"${body.message}" lacks "${row.message}"`);
      assert.deepEqual(body.details, []);
      for (const [k, v] of Object.entries(row.responseHeaders ?? {})) {
        assert.equal(res.headers.get(k), v, k);
      }
      assert.equal(gw.service.seen.length, before, "the backend was not called");
    });
  }
});

describe("limits are configurable", () => {
  test("maxRequestBytes: declared and chunked bodies over it → 413; at it → 200", async () => {
    const gw = await startErrorGateway("in-process", { maxRequestBytes: 64 });
    try {
      const exact = JSON.stringify({ text: "x".repeat(64 - 11) });
      assert.equal(exact.length, 64);
      const ok = await request(`${gw.url}/v1/echo`, {
        method: "POST",
        body: exact,
        headers: { "content-type": "application/json" },
      });
      assert.equal(ok.status, 200, ok.text);
      const declared = await request(`${gw.url}/v1/echo`, {
        method: "POST",
        body: `${exact} `,
        headers: { "content-type": "application/json" },
      });
      assert.equal(declared.status, 413);
      // A streamed body has no Content-Length: the limit applies while reading.
      const chunked = await request(`${gw.url}/v1/echo`, {
        method: "POST",
        body: new ReadableStream({
          start(controller) {
            controller.enqueue(new TextEncoder().encode(exact));
            controller.enqueue(new TextEncoder().encode("      "));
            controller.close();
          },
        }),
        duplex: "half",
        headers: { "content-type": "application/json" },
      } as RequestInit);
      assert.equal(chunked.status, 413);
      assert.equal((chunked.json as { code: number }).code, Code.ResourceExhausted);
    } finally {
      await gw.close();
    }
  });

  test("acceptedContentTypes: a list, or a predicate", async () => {
    const cases: Array<[options: Parameters<typeof startErrorGateway>[1], string, number]> = [
      [{ acceptedContentTypes: ["application/vnd.api+json"] }, "application/json", 415],
      [
        { acceptedContentTypes: ["application/vnd.api+json"] },
        "Application/VND.api+JSON; charset=utf-8",
        200,
      ],
      [{ acceptedContentTypes: (ct) => ct === "text/plain" }, "text/plain", 200],
      [{ acceptedContentTypes: (ct) => ct === "text/plain" }, "application/json", 415],
      [{}, "application/merge-patch+json", 200],
      [{}, "text/plain", 415],
    ];
    for (const [options, contentType, status] of cases) {
      const gw = await startErrorGateway("in-process", options);
      try {
        const res = await request(`${gw.url}/v1/echo`, {
          method: "POST",
          body: '{"text":"hi"}',
          headers: { "content-type": contentType },
        });
        assert.equal(res.status, status, `${contentType}: ${res.text}`);
      } finally {
        await gw.close();
      }
    }
  });
});

describe("backend unreachable", () => {
  test("a client pointed at a closed port → 503 UNAVAILABLE, a plain message, the detail as its cause", async () => {
    const port = await closedPort();
    const client = new ErrorServiceClient(`127.0.0.1:${port}`, credentials.createInsecure());
    const seen: RpcError[] = [];
    const handlers: MuxOptions[] = [
      {},
      {
        errorHandler: (error, _req, res) => {
          seen.push(error);
          res.writeHead(503).end();
        },
      },
    ];
    try {
      for (const options of handlers) {
        const mux = new Mux(options);
        registerErrorService(mux, client);
        const http = await startHttpServer(mux.handler);
        try {
          const res = await request(`${http.url}/v1/echo/hi`);
          assert.equal(res.status, 503, res.text);
          if (options.errorHandler === undefined) {
            assert.deepEqual(res.json, {
              code: Code.Unavailable,
              message: "backend unavailable",
              details: [],
            });
          }
        } finally {
          await http.close();
        }
      }
    } finally {
      client.close();
    }
    assert.equal(seen[0]?.rawMessage, "backend unavailable");
    const cause = seen[0]?.cause as RpcError | undefined;
    assert.match(String(cause?.rawMessage), new RegExp(`ECONNREFUSED 127.0.0.1:${port}`));
  });
});

describe("gateway-raised 503 and 504 bodies name no backend", () => {
  const leaks = /127\.0\.0\.1|remote_addr|ECONNREFUSED|LB pick|Resolution note/;
  const rows: { name: string; path: string; headers?: Record<string, string>; status: number }[] = [
    {
      name: "a deadline passed at the backend",
      path: "/v1/sleep/30000",
      headers: { "grpc-timeout": "50m" },
      status: 504,
    },
    {
      name: "a deadline passed before the call",
      path: "/v1/echo/hi",
      headers: { "grpc-timeout": "1n" },
      status: 504,
    },
  ];
  for (const row of rows) {
    test(`${row.name} → ${row.status}`, async () => {
      const gw = await startErrorGateway("remote");
      try {
        for (let i = 0; i < 5; i++) {
          const res = await request(
            gw.url + row.path,
            row.headers === undefined ? {} : { headers: row.headers },
          );
          assert.equal(res.status, row.status, res.text);
          assert.doesNotMatch(res.text, leaks);
        }
      } finally {
        gw.service.stop();
        await gw.close();
      }
    });
  }
  test("a balanced channel whose endpoints are all down → 503", async () => {
    const port = await closedPort();
    const channel = createChannel([`127.0.0.1:${port}`], { healthCheck: false });
    const client = ErrorServiceClient.fromChannel(channel);
    const mux = new Mux();
    registerErrorService(mux, client);
    const http = await startHttpServer(mux.handler);
    try {
      const res = await request(`${http.url}/v1/echo/hi`, { headers: { "grpc-timeout": "2S" } });
      assert.equal(res.status, 503, res.text);
      assert.doesNotMatch(res.text, leaks);
      assert.equal((res.json as { message: string }).message, "backend unavailable");
    } finally {
      await http.close();
      channel.close();
    }
  });
});

describe("errorHandler (mux-wide)", () => {
  test("replaces the writer for backend and gateway errors, with the error's code and details", async () => {
    const seen: RpcError[] = [];
    const gw = await startErrorGateway("remote", {
      errorHandler: (error, req, res) => {
        seen.push(error);
        res.statusCode = 418;
        res.setHeader("content-type", "text/plain");
        res.end(`${req.method} ${error.code} ${error.rawMessage} ${error.details.length}`);
      },
    });
    try {
      const backend = await request(`${gw.url}/v1/fail/5?message=gone&standardDetails=true`);
      assert.equal(backend.status, 418);
      assert.equal(backend.text, "GET 5 gone 3");
      const route = await request(`${gw.url}/v1/nope`);
      assert.equal(route.status, 418);
      assert.match(route.text, /^GET 5 no route/);
      const media = await request(`${gw.url}/v1/echo`, {
        method: "POST",
        body: "x",
        headers: { "content-type": "text/plain" },
      });
      assert.equal(media.text.startsWith("POST 3 unsupported Content-Type"), true);
      assert.equal(seen.length, 3);
    } finally {
      await gw.close();
    }
  });

  test("a throwing errorHandler answers a bare 500 and the server lives on", async () => {
    const gw = await startErrorGateway("in-process", {
      errorHandler: () => {
        throw new Error("handler bug");
      },
    });
    try {
      const res = await request(`${gw.url}/v1/fail/5`);
      assert.equal(res.status, 500);
      assert.deepEqual(res.json, {
        code: Code.Internal,
        message: "error handler failed",
        details: [],
      });
      const again = await request(`${gw.url}/v1/echo/still-here`);
      assert.deepEqual(again.json, { text: "still-here" });
    } finally {
      await gw.close();
    }
  });
});

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
