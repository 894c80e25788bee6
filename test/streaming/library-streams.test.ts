// The Library example's streaming methods end to end, in both backend modes:
// WatchShelf over NDJSON and SSE, Discuss over WebSocket and as an HTTP body.
import assert from "node:assert/strict";
import type { IncomingMessage } from "node:http";
import { after, before, describe, test } from "node:test";
import { credentials } from "@grpc/grpc-js";
import { attachWebSocket, Mux } from "@ts-gateway/runtime";
import { WebSocket } from "ws";
import {
  addLibraryService,
  LibraryServiceClient,
  registerLibraryService,
} from "../../examples/library/src/gen/library/v1/library_gateway.js";
import { InMemoryLibrary } from "../../examples/library/src/library-service.js";
import {
  type GrpcTestServer,
  type HttpTestServer,
  request,
  startGrpcServer,
  startHttpServer,
} from "../support/servers.js";
import { openRequest } from "./stream-fixture.js";

/** Reads a response body line by line as it arrives. */
function lines(res: IncomingMessage): AsyncIterator<string> {
  res.setEncoding("utf8");
  return (async function* () {
    let tail = "";
    for await (const chunk of res) {
      const parts = (tail + (chunk as string)).split("\n");
      tail = parts.pop() ?? "";
      yield* parts;
    }
  })();
}

for (const mode of ["remote", "local"] as const) {
  describe(`Library streaming methods (${mode} backend)`, () => {
    let grpc: GrpcTestServer | undefined;
    let client: LibraryServiceClient | undefined;
    let http: HttpTestServer;
    before(async () => {
      const library = new InMemoryLibrary();
      if (mode === "remote") {
        grpc = await startGrpcServer((s) => addLibraryService(s, library));
        client = new LibraryServiceClient(grpc.address, credentials.createInsecure());
      }
      const mux = new Mux({ webSocket: true });
      registerLibraryService(mux, client ?? library);
      http = await startHttpServer(mux.handler);
      attachWebSocket(http.server, mux);
      await request(`${http.url}/v1/shelves`, { method: "POST", json: { theme: "Fiction" } });
      await request(`${http.url}/v1/shelves/1/books`, { method: "POST", json: { title: "Dune" } });
    });
    after(async () => {
      await http.close();
      client?.close();
      await grpc?.close();
    });

    test("WatchShelf (NDJSON): the books on the shelf, then changes as they happen", async () => {
      const req = openRequest(`${http.url}/v1/shelves/1:watch`, { method: "GET" });
      req.end();
      const it = lines(await req.response);
      assert.deepEqual(JSON.parse((await it.next()).value), {
        result: { change: "CHANGE_ADDED", book: { name: "shelves/1/books/1", title: "Dune" } },
      });
      await request(`${http.url}/v1/shelves/1/books`, { method: "POST", json: { title: "Emma" } });
      assert.deepEqual(JSON.parse((await it.next()).value), {
        result: { change: "CHANGE_ADDED", book: { name: "shelves/1/books/2", title: "Emma" } },
      });
      await request(`${http.url}/v1/shelves/1/books/2`, { method: "DELETE" });
      assert.equal(JSON.parse((await it.next()).value).result.change, "CHANGE_REMOVED");
      req.destroy();
    });

    test("WatchShelf (SSE) of a missing shelf is a 404", async () => {
      const res = await request(`${http.url}/v1/shelves/9:watch`, {
        headers: { accept: "text/event-stream" },
      });
      assert.equal(res.status, 404);
      assert.equal((res.json as { code: number }).code, 5);
    });

    test("Discuss over WebSocket: posts reach every member", async () => {
      const url = `${http.url.replace("http:", "ws:")}/v1/shelves/1:discuss`;
      const members = ["ann", "bob"].map((user) => {
        const ws = new WebSocket(url);
        const heard: string[] = [];
        ws.on("message", (data) => {
          const m = JSON.parse(String(data));
          heard.push(`${m.user}: ${m.text}`);
        });
        const closed = new Promise<number>((resolve) => ws.on("close", (code) => resolve(code)));
        const open = new Promise<void>((resolve) => ws.once("open", () => resolve()));
        return { user, ws, heard, closed, open };
      });
      const [ann, bob] = members as [(typeof members)[0], (typeof members)[0]];
      await Promise.all([ann.open, bob.open]);
      // Join (an empty text) and wait until both are members: each hears a probe.
      bob.ws.send(JSON.stringify({ user: "bob" }));
      const heardBy = (m: typeof ann, n: number) =>
        new Promise<void>((resolve) => {
          const check = () => (m.heard.length >= n ? resolve() : m.ws.once("message", check));
          check();
        });
      ann.ws.send(JSON.stringify({ user: "ann", text: "hi" }));
      await heardBy(ann, 1);
      await heardBy(bob, 1);
      bob.ws.send(JSON.stringify({ user: "bob", text: "hello" }));
      await heardBy(ann, 2);
      await heardBy(bob, 2);
      for (const m of members) m.ws.send("");
      assert.deepEqual(await Promise.all(members.map((m) => m.closed)), [1000, 1000]);
      assert.deepEqual(ann.heard, ["ann: hi", "bob: hello"]);
      assert.deepEqual(bob.heard, ["ann: hi", "bob: hello"]);
    });

    test("Discuss over HTTP: a body of posts, answered as NDJSON", async () => {
      const res = await request(`${http.url}/v1/shelves/1:discuss`, {
        method: "POST",
        headers: { "content-type": "application/x-ndjson" },
        body: '{"user":"cy","text":"one"}\n{"user":"cy","text":"two"}\n',
      });
      assert.equal(res.status, 200);
      const texts = res.text
        .trimEnd()
        .split("\n")
        .map((l) => JSON.parse(l).result.text);
      assert.deepEqual(texts, ["one", "two"]);
    });
  });
}
