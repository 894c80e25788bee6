// The conformance suite's fixture: generated routes in front of a REAL grpc-js
// server whose implementation records the exact request message it received.
import assert from "node:assert/strict";
import { type DescMethod, type DescService, type JsonValue, toJson } from "@bufbuild/protobuf";
import { credentials, type Server } from "@grpc/grpc-js";
import { Mux, type MuxOptions, type RegisterOptions } from "@ts-gateway/runtime";
import {
  type GrpcTestServer,
  type HttpTestServer,
  request,
  startGrpcServer,
  startHttpServer,
  type TestResponse,
} from "../support/servers.js";

/** One request message the backend received, as proto3 JSON (unpopulated fields omitted). */
export interface Received {
  readonly rpc: string;
  readonly request: JsonValue;
}

/** Answers a call: a message init shape of the method's output. */
export type Responder = (rpc: string, request: any) => unknown;

/** What a generated file provides for one service. */
export interface GeneratedService {
  readonly service: DescService;
  readonly add: (server: Server, implementation: any) => void;
  readonly Client: new (
    address: string,
    creds: ReturnType<typeof credentials.createInsecure>,
  ) => {
    close(): void;
  };
  readonly register: (mux: Mux, backend: any, options?: RegisterOptions) => void;
}

/** A running gateway → grpc-js pair for one or more services sharing one mux. */
export interface Gateway {
  readonly url: string;
  readonly received: Received[];
  /** Per-rpc responses; the default is the empty message. */
  readonly responders: Map<string, Responder>;
  send(
    method: string,
    path: string,
    init?: RequestInit & { json?: unknown },
  ): Promise<TestResponse>;
  close(): Promise<void>;
}

/** Starts a grpc-js server serving recording implementations, and a mux in front of it. */
export async function startGateway(
  services: readonly GeneratedService[],
  options: { mux?: MuxOptions; register?: RegisterOptions } = {},
): Promise<Gateway> {
  const received: Received[] = [];
  const responders = new Map<string, Responder>();
  const grpc: GrpcTestServer = await startGrpcServer((server) => {
    for (const s of services) s.add(server, recorder(s.service, received, responders));
  });
  const clients = services.map((s) => new s.Client(grpc.address, credentials.createInsecure()));
  const mux = new Mux({ notFound: "404", ...options.mux });
  services.forEach((s, i) => {
    s.register(mux, clients[i], options.register);
  });
  const http: HttpTestServer = await startHttpServer(mux.handler);
  return {
    url: http.url,
    received,
    responders,
    send: (method, path, init) => request(http.url + path, { method, ...init }),
    async close() {
      await http.close();
      for (const c of clients) c.close();
      await grpc.close();
    },
  };
}

/** An implementation of every method that records the request it got. */
function recorder(
  service: DescService,
  received: Received[],
  responders: ReadonlyMap<string, Responder>,
): object {
  const impl: Record<string, (request: any) => Promise<unknown>> = {};
  for (const method of service.methods) {
    impl[method.localName] = async (request: any) => {
      received.push({ rpc: method.localName, request: jsonOf(method, request) });
      const respond = responders.get(method.localName);
      return respond === undefined ? {} : respond(method.localName, request);
    };
  }
  return impl;
}

function jsonOf(method: DescMethod, request: any): JsonValue {
  return toJson(method.input, request);
}

/** A row of a conformance table: one HTTP exchange and what must come of it. */
export interface Row {
  readonly name: string;
  readonly method: string;
  readonly path: string;
  /** A JSON body (sent with `content-type: application/json`). */
  readonly json?: unknown;
  /** A raw body, with its headers. */
  readonly body?: string;
  readonly headers?: Record<string, string>;
  /** The rpc the backend must have received, and the request as proto3 JSON. Omit for "no call". */
  readonly rpc?: string;
  readonly request?: JsonValue;
  readonly status: number;
  /** The exact JSON response body. */
  readonly response?: unknown;
  /** The exact response body text (for non-JSON answers, or to pin the JSON text). */
  readonly responseText?: string;
  /** Substring the error message (`message` of the google.rpc.Status) must contain. */
  readonly error?: string | RegExp;
  /** Exact response headers. */
  readonly responseHeaders?: Record<string, string>;
}

/** Sends a row's request and asserts the backend call and the HTTP answer. */
export async function check(gateway: Gateway, row: Row): Promise<void> {
  const before = gateway.received.length;
  const init: RequestInit & { json?: unknown } = {};
  if (row.json !== undefined) init.json = row.json;
  if (row.body !== undefined) init.body = row.body;
  if (row.headers !== undefined) init.headers = row.headers;
  const res = await gateway.send(row.method, row.path, init);
  const calls = gateway.received.slice(before);
  if (row.rpc === undefined) {
    assert.deepEqual(calls, [], `${row.name}: no backend call expected`);
  } else {
    assert.deepEqual(
      calls,
      [{ rpc: row.rpc, request: row.request ?? {} }],
      `${row.name}: backend request (HTTP ${res.status} ${res.text})`,
    );
  }
  assert.equal(res.status, row.status, `${row.name}: status (${res.text})`);
  if (row.response !== undefined) assert.deepEqual(res.json, row.response, `${row.name}: body`);
  if (row.responseText !== undefined) assert.equal(res.text, row.responseText, `${row.name}: text`);
  if (row.error !== undefined) {
    const message = (res.json as { message?: string } | undefined)?.message ?? "";
    if (typeof row.error === "string") {
      assert.ok(
        message.includes(row.error),
        `${row.name}: error "${message}" lacks "${row.error}"`,
      );
    } else {
      assert.match(message, row.error, `${row.name}: error message`);
    }
  }
  for (const [key, value] of Object.entries(row.responseHeaders ?? {})) {
    assert.equal(res.headers.get(key), value, `${row.name}: header ${key}`);
  }
}
