// Request validation with protovalidate, in process: every row of the table
// through a real HTTP server and Mux({ validate: true }) in front of a local
// implementation that counts its calls; then streams (HTTP and WebSocket),
// useProtoFieldName, per-route rules, request interceptors and response checks.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { create, type Message } from "@bufbuild/protobuf";
import { Code, Mux, type MuxOptions, RpcError } from "@ts-gateway/runtime";
import WebSocket from "ws";
import {
  type RulesServiceApi,
  registerRulesService,
} from "../gen/validation/v1/validation_gateway.js";
import {
  type Item,
  ItemSchema,
  RulesService,
  type UploadSummary,
} from "../gen/validation/v1/validation_pb.js";
import { type HttpTestServer, request, startHttpServer } from "../support/servers.js";
import { sorted, validationCases, validItem, violationsOf } from "./validation-cases.js";

/** A RulesService that records what reached it. */
function backend() {
  const seen: Message[] = [];
  const impl: RulesServiceApi = {
    async createItem(req) {
      seen.push(req);
      return req.item ?? create(ItemSchema);
    },
    async getItem(req) {
      seen.push(req);
      return create(ItemSchema, { ...validItem, title: req.id.slice(0, 20) });
    },
    async uploadItems(requests) {
      let count = 0;
      for await (const item of requests) {
        seen.push(item);
        count++;
      }
      return { count } as UploadSummary;
    },
    async *syncItems(requests) {
      for await (const item of requests) {
        seen.push(item);
        yield item;
      }
    },
  };
  return { impl, seen };
}

async function serve(options: MuxOptions, register?: Parameters<typeof registerRulesService>[2]) {
  const b = backend();
  const mux = new Mux({ webSocket: true, ...options });
  registerRulesService(mux, b.impl, register);
  const http = await startHttpServer(mux.handler);
  http.server.on("upgrade", (req, socket, head) => {
    if (!mux.handleUpgrade(req, socket, head)) socket.destroy();
  });
  return { ...b, mux, http };
}

describe("validate: true", { timeout: 60_000 }, () => {
  let gw: Awaited<ReturnType<typeof serve>>;
  before(async () => {
    gw = await serve({ validate: true });
  });
  after(() => gw.http.close());

  for (const c of validationCases) {
    it(`${c.name}: ${c.want === "ok" ? "reaches the backend" : "400"}`, async () => {
      const calls = gw.seen.length;
      const res = await request(`${gw.http.url}${c.path}`, {
        method: c.method,
        ...(c.body === undefined ? {} : { json: c.body }),
      });
      if (c.want === "ok") {
        assert.equal(res.status, 200, res.text);
        assert.equal(gw.seen.length, calls + 1);
        if (c.itemBody === true)
          assert.deepEqual(res.json, c.body, "the message reached the backend unchanged");
        return;
      }
      assert.equal(res.status, 400, res.text);
      assert.equal((res.json as { code: number }).code, Code.InvalidArgument);
      assert.deepEqual(violationsOf(res.json), sorted(c.want));
      assert.equal(gw.seen.length, calls, "the backend was not called");
    });
  }

  it("a violation's description is the rule's message", async () => {
    const res = await request(`${gw.http.url}/v1/shelves/main/items`, {
      method: "POST",
      json: { ...validItem, slug: "Dune" },
    });
    const body = res.json as { message: string; details: Array<{ fieldViolations: unknown }> };
    assert.deepEqual(body.details[0]?.fieldViolations, [
      { field: "item.slug", description: "slug must be lower case", reason: "slug.lowercase" },
    ]);
    assert.match(body.message, /item\.slug: slug must be lower case/);
  });

  it("an HTTP bidi stream: messages before a bad one pass, the bad one ends the stream", async () => {
    const calls = gw.seen.length;
    const lines = [validItem, { ...validItem, quantity: 0 }, validItem].map((m) =>
      JSON.stringify(m),
    );
    const res = await request(`${gw.http.url}/v1/items:sync`, {
      method: "POST",
      headers: { "content-type": "application/x-ndjson" },
      body: `${lines.join("\n")}\n`,
    });
    const out = res.text
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, any>);
    assert.deepEqual(out[0], { result: validItem });
    const error = out.at(-1)?.error as { code: number };
    assert.equal(error.code, Code.InvalidArgument, res.text);
    assert.deepEqual(violationsOf(error), [["quantity", "int32.gt_lte"]]);
    assert.equal(gw.seen.length, calls + 1, "only the first message reached the backend");
  });

  it("an HTTP client stream answers 400 for its bad message", async () => {
    const body = `${JSON.stringify(validItem)}\n${JSON.stringify({ ...validItem, tags: ["a", "a"] })}\n`;
    const res = await request(`${gw.http.url}/v1/items:upload`, {
      method: "POST",
      headers: { "content-type": "application/x-ndjson" },
      body,
    });
    assert.equal(res.status, 400, res.text);
    assert.deepEqual(violationsOf(res.json), [["tags", "repeated.unique"]]);
  });

  it("a WebSocket client stream closes with 4003 and the violation at its bad message", async () => {
    const ws = new WebSocket(`${gw.http.url.replace("http", "ws")}/v1/items:upload`);
    ws.on("open", () => {
      ws.send(JSON.stringify(validItem));
      ws.send(JSON.stringify({ ...validItem, title: "" }));
    });
    const [code, reason] = await new Promise<[number, string]>((resolve, reject) => {
      ws.on("close", (c, r) => resolve([c, r.toString()]));
      ws.on("error", reject);
      setTimeout(() => reject(new Error("no close within 20 s")), 20_000).unref();
    });
    assert.equal(code, 4000 + Code.InvalidArgument, reason);
    assert.match(reason, /title/);
  });
});

describe("validation options", { timeout: 60_000 }, () => {
  const servers: HttpTestServer[] = [];
  after(() => Promise.all(servers.map((s) => s.close())));

  it("useProtoFieldName names fields by their proto names", async () => {
    const gw = await serve({ validate: true }, { useProtoFieldName: true });
    servers.push(gw.http);
    const res = await request(`${gw.http.url}/v1/shelves/main/items`, {
      method: "POST",
      json: { ...validItem, email: "nope", nextStatus: "STATUS_GONE" },
    });
    assert.deepEqual(violationsOf(res.json), [
      ["item.contact_email", "string.email"],
      ["item.next_status", "enum.in"],
    ]);
    const get = await request(`${gw.http.url}/v1/items/nope?page_size=99`);
    assert.deepEqual(violationsOf(get.json), [
      ["id", "string.uuid"],
      ["page_size", "int32.gte_lte"],
    ]);
  });

  it("a route rule turns validation off for one method", async () => {
    const gw = await serve({
      validate: {
        routes: [{ match: { selector: "validation.v1.RulesService.GetItem" }, options: false }],
      },
    });
    servers.push(gw.http);
    assert.equal((await request(`${gw.http.url}/v1/items/nope`)).status, 200);
    const post = await request(`${gw.http.url}/v1/shelves/ab/items`, {
      method: "POST",
      json: validItem,
    });
    assert.equal(post.status, 400);
  });

  it("a route rule turns validation on for one route only", async () => {
    const gw = await serve({
      validate: {
        requests: false,
        routes: [
          { match: { template: "/v1/items/{id}", httpMethod: "GET" }, options: { requests: true } },
        ],
      },
    });
    servers.push(gw.http);
    assert.equal((await request(`${gw.http.url}/v1/items/nope`)).status, 400);
    const post = await request(`${gw.http.url}/v1/shelves/ab/items`, {
      method: "POST",
      json: validItem,
    });
    assert.equal(post.status, 200);
  });

  it("request interceptors see each valid message after validation, and may refuse it", async () => {
    const intercepted: string[] = [];
    const gw = await serve({
      validate: true,
      requestInterceptors: [
        (message, method) => {
          intercepted.push(`${method.name}:${(message as Item).title}`);
          if ((message as Item).title === "Forbidden") {
            throw new RpcError("no such title", Code.PermissionDenied);
          }
        },
      ],
    });
    servers.push(gw.http);
    const ok = await request(`${gw.http.url}/v1/items:upload`, {
      method: "POST",
      headers: { "content-type": "application/x-ndjson" },
      body: `${JSON.stringify(validItem)}\n${JSON.stringify({ ...validItem, title: "" })}\n`,
    });
    assert.equal(ok.status, 400);
    assert.deepEqual(
      intercepted,
      ["UploadItems:Dune"],
      "the invalid message never reached the interceptor",
    );
    const refused = await request(`${gw.http.url}/v1/items:upload`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ ...validItem, title: "Forbidden" }),
    });
    assert.equal(refused.status, 403);
    // The same checks for a protocol that decodes its messages itself.
    assert.throws(
      () => gw.mux.checkRequest(RulesService.method.uploadItems, create(ItemSchema, { title: "" })),
      (e: unknown) => e instanceof RpcError && e.code === Code.InvalidArgument,
    );
  });

  it("validate.responses answers 500 for a response that breaks its rules, without the violations", async () => {
    const mux = new Mux({ validate: { responses: true } });
    registerRulesService(mux, {
      ...backend().impl,
      getItem: async () => create(ItemSchema, { title: "" }),
    });
    const http = await startHttpServer(mux.handler);
    servers.push(http);
    const res = await request(`${http.url}/v1/items/8f0c0a36-7c35-4f4e-9a55-1f7d4e1c2b3a`);
    assert.equal(res.status, 500, res.text);
    assert.deepEqual((res.json as { details: unknown[] }).details, []);
  });
});
