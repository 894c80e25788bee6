// A body parser mounted before the generated router (`app.use(express.json())`)
// has already read the request: the gateway must use its `req.body` (a parsed
// object, a string or a Buffer) and answer exactly as it answers the same
// request with no parser in front, errors included. Real Express, real grpc-js
// backend behind the generated clients.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { credentials } from "@grpc/grpc-js";
import { Mux } from "@ts-gateway/runtime";
import { expressRouter } from "@ts-gateway/runtime/express";
import express, { type RequestHandler } from "express";
import { RecordingService } from "../errors/error-fixture.js";
import {
  addErrorService,
  ErrorServiceClient,
  registerErrorService,
} from "../gen/errors/v1/errors_gateway.js";
import {
  addStreamService,
  registerStreamService,
  StreamServiceClient,
} from "../gen/streaming/v1/streaming_gateway.js";
import { RecordingStreams } from "../streaming/stream-fixture.js";
import {
  type GrpcTestServer,
  type HttpTestServer,
  request,
  startGrpcServer,
  startHttpServer,
} from "../support/servers.js";

const parsers: Record<string, RequestHandler> = {
  "express.json()": express.json(),
  "express.text({ type: 'application/json' })": express.text({ type: "application/json" }),
  "express.raw({ type: 'application/json' })": express.raw({ type: "application/json" }),
};

interface Row {
  readonly name: string;
  readonly method?: string;
  readonly path: string;
  readonly body?: string;
  /** The answer, for the rows that succeed. */
  readonly json?: unknown;
  readonly status: number;
}

const rows: Row[] = [
  {
    name: "body: * reaches the backend",
    path: "/v1/echo",
    body: '{"text":"poetry"}',
    status: 200,
    json: { text: "poetry" },
  },
  {
    name: 'body: "thing" reaches the backend',
    path: "/v1/things",
    body: '{"name":"t1"}',
    status: 201,
    json: { name: "things/t1" },
  },
  {
    name: "client stream of one JSON message",
    path: "/v1/sums/s",
    body: '{"value":4}',
    status: 200,
    json: { label: "s", total: 4, count: 1 },
  },
  { name: "a wrong field type is the same 400", path: "/v1/echo", body: '{"text":5}', status: 400 },
  { name: "an array body is the same 400", path: "/v1/echo", body: "[1]", status: 400 },
  {
    name: "an unknown field is ignored the same way",
    path: "/v1/echo",
    body: '{"x":1}',
    status: 200,
  },
  {
    name: "a body over maxRequestBytes is the same 413",
    path: "/v1/echo",
    body: JSON.stringify({ text: "x".repeat(200) }),
    status: 413,
  },
  {
    name: "a client stream message over maxRequestBytes is the same 413",
    path: "/v1/sums/s",
    body: JSON.stringify({ label: "x".repeat(200), value: 1 }),
    status: 413,
  },
];

describe("a body parser in front of the generated router", () => {
  let grpc: GrpcTestServer;
  const clients: Array<{ close(): void }> = [];
  const servers: Record<string, HttpTestServer> = {};

  before(async () => {
    grpc = await startGrpcServer((server) => {
      addErrorService(server, new RecordingService());
      addStreamService(server, new RecordingStreams());
    });
    const errors = new ErrorServiceClient(grpc.address, credentials.createInsecure());
    const streams = new StreamServiceClient(grpc.address, credentials.createInsecure());
    clients.push(errors, streams);
    const mux = new Mux({ maxRequestBytes: 128 });
    registerErrorService(mux, errors);
    registerStreamService(mux, streams);
    for (const [name, parser] of [["none", undefined], ...Object.entries(parsers)] as const) {
      const app = express();
      if (parser !== undefined) app.use(parser);
      app.use(expressRouter(mux));
      servers[name] = await startHttpServer(app);
    }
  });
  after(async () => {
    for (const server of Object.values(servers)) await server.close();
    for (const client of clients) client.close();
    await grpc.close();
  });

  for (const row of rows) {
    test(`${row.name}: as without a parser, with every parser`, async () => {
      const send = (base: string) =>
        request(`${base}${row.path}`, {
          method: row.method ?? "POST",
          headers: { "content-type": "application/json" },
          ...(row.body === undefined ? {} : { body: row.body }),
        });
      const reference = await send((servers.none as HttpTestServer).url);
      assert.equal(reference.status, row.status, reference.text);
      if (row.json !== undefined) assert.deepEqual(reference.json, row.json);
      for (const name of Object.keys(parsers)) {
        const answer = await send((servers[name] as HttpTestServer).url);
        assert.equal(answer.status, reference.status, `${name}: ${answer.text}`);
        assert.deepEqual(answer.json, reference.json, name);
      }
    });
  }
});
