// The Library example end to end: generated code from `buf generate`, a real
// grpc-js backend on loopback, the gateway in both backend modes (remote
// client, in-process implementation) and on both servers (Express, node:http).
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { credentials } from "@grpc/grpc-js";
import { Mux } from "@ts-gateway/runtime";
import { createGatewayApp } from "../../examples/library/src/gateway.js";
import {
  addLibraryService,
  type LibraryServiceApi,
  LibraryServiceClient,
  registerLibraryService,
} from "../../examples/library/src/gen/library/v1/library_gateway.js";
import { InMemoryLibrary } from "../../examples/library/src/library-service.js";
import {
  type HttpTestServer,
  request,
  startGrpcServer,
  startHttpServer,
} from "../support/servers.js";

interface Step {
  name: string;
  method?: string;
  path: string;
  json?: unknown;
  status: number;
  body?: unknown;
  /** Checks beyond `body` (deepEqual). */
  check?: (json: any) => void;
}

/** One scripted session against a fresh library; each step asserts the exact status and body. */
const steps: Step[] = [
  {
    name: "create shelf",
    method: "POST",
    path: "/v1/shelves",
    json: { theme: "Fiction" },
    status: 201,
    check: (j) => assert.equal(j.name, "shelves/1"),
  },
  {
    name: "create second shelf",
    method: "POST",
    path: "/v1/shelves",
    json: { theme: "Poetry" },
    status: 201,
  },
  {
    name: "create book (body: book, parent from the path)",
    method: "POST",
    path: "/v1/shelves/1/books",
    json: { title: "Dune", author: "Frank Herbert", genre: "GENRE_FICTION", pageCount: 412 },
    status: 201,
    body: {
      name: "shelves/1/books/1",
      title: "Dune",
      author: "Frank Herbert",
      genre: "GENRE_FICTION",
      pageCount: 412,
    },
  },
  {
    name: "create book, proto field names accepted",
    method: "POST",
    path: "/v1/shelves/1/books",
    json: { title: "Emma", page_count: 3 },
    status: 201,
    check: (j) => assert.equal(j.pageCount, 3),
  },
  {
    name: "get book",
    path: "/v1/shelves/1/books/1",
    status: 200,
    body: {
      name: "shelves/1/books/1",
      title: "Dune",
      author: "Frank Herbert",
      genre: "GENRE_FICTION",
      pageCount: 412,
    },
  },
  {
    name: "list with query parameters (enum by name, paging)",
    path: "/v1/shelves/1/books?page_size=1&genre=GENRE_FICTION",
    status: 200,
    body: {
      books: [
        {
          name: "shelves/1/books/1",
          title: "Dune",
          author: "Frank Herbert",
          genre: "GENRE_FICTION",
          pageCount: 412,
        },
      ],
    },
  },
  {
    name: "list, page 1 of 2",
    path: "/v1/shelves/1/books?pageSize=1",
    status: 200,
    check: (j) => {
      assert.equal(j.books.length, 1);
      assert.equal(typeof j.nextPageToken, "string");
    },
  },
  {
    name: "patch without a mask: the mask comes from the body's keys",
    method: "PATCH",
    path: "/v1/shelves/1/books/1",
    json: { read: true },
    status: 200,
    body: {
      name: "shelves/1/books/1",
      title: "Dune",
      author: "Frank Herbert",
      genre: "GENRE_FICTION",
      pageCount: 412,
      read: true,
    },
  },
  {
    name: "custom verb :move",
    method: "POST",
    path: "/v1/shelves/1/books/1:move",
    json: { otherShelfName: "shelves/2" },
    status: 200,
    check: (j) => assert.match(j.name, /^shelves\/2\/books\/\d+$/),
  },
  {
    name: "backend NOT_FOUND → 404 with google.rpc.Status and typed details",
    path: "/v1/shelves/1/books/1",
    status: 404,
    body: {
      code: 5,
      message: "shelves/1/books/1 does not exist",
      details: [
        {
          "@type": "type.googleapis.com/google.rpc.ResourceInfo",
          resourceType: "library.v1.Book",
          resourceName: "shelves/1/books/1",
        },
      ],
    },
  },
  {
    name: "backend INVALID_ARGUMENT → 400 with BadRequest",
    method: "POST",
    path: "/v1/shelves",
    json: {},
    status: 400,
    check: (j) => {
      assert.equal(j.code, 3);
      assert.equal(j.details[0]["@type"], "type.googleapis.com/google.rpc.BadRequest");
    },
  },
  {
    name: "delete book → Empty",
    method: "DELETE",
    path: "/v1/shelves/1/books/2",
    status: 200,
    body: {},
  },
  {
    name: "bad query value → 400 naming it",
    path: "/v1/shelves/1/books?page_size=abc",
    status: 400,
    check: (j) => assert.match(j.message, /page_size/),
  },
  { name: "invalid JSON → 400", method: "POST", path: "/v1/shelves", json: undefined, status: 400 },
  { name: "wrong method → 405", method: "PUT", path: "/v1/shelves", status: 405 },
];

/** Runs the scripted session against a gateway base URL. */
function session(base: () => string): void {
  for (const step of steps) {
    test(step.name, async () => {
      const init: RequestInit & { json?: unknown } = { method: step.method ?? "GET" };
      if (step.json !== undefined) init.json = step.json;
      if (step.name === "invalid JSON → 400") {
        init.headers = { "content-type": "application/json" };
        init.body = '{"theme":';
      }
      const res = await request(base() + step.path, init);
      assert.equal(res.status, step.status, res.text);
      if (step.status >= 200)
        assert.match(res.headers.get("content-type") ?? "", /application\/json/);
      if (step.body !== undefined) assert.deepEqual(res.json, step.body);
      step.check?.(res.json);
    });
  }
}

describe("Express gateway → generated client → grpc-js backend", () => {
  let backend: Awaited<ReturnType<typeof startGrpcServer>>;
  let client: LibraryServiceClient;
  let http: HttpTestServer;
  before(async () => {
    backend = await startGrpcServer((s) => addLibraryService(s, new InMemoryLibrary()));
    client = new LibraryServiceClient(backend.address, credentials.createInsecure());
    http = await startHttpServer(createGatewayApp(client));
  });
  after(async () => {
    await http.close();
    client.close();
    await backend.close();
  });
  session(() => http.url);

  test("405 lists the allowed methods", async () => {
    const res = await request(`${http.url}/v1/shelves`, { method: "PUT" });
    assert.equal(res.headers.get("allow"), "GET, POST");
  });
  test("an unmatched path falls through to the app's own routes (next())", async () => {
    const res = await request(`${http.url}/`);
    assert.equal(res.status, 200);
    assert.deepEqual(res.json, {
      service: "library.v1.LibraryService",
      docs: "/docs",
      openapi: "/openapi.json",
    });
    const miss = await request(`${http.url}/v2/nothing`);
    assert.equal(miss.status, 404);
    assert.equal((miss.json as { code: number }).code, 5);
  });
  test("the generated client works on its own (unary, typed, RpcError on failure)", async () => {
    const shelf = await client.createShelf({ shelf: { theme: "History" } });
    assert.match(shelf.name, /^shelves\/\d+$/);
    await assert.rejects(client.getShelf({ name: "shelves/999" }), (err: any) => {
      assert.equal(err.code, 5);
      assert.equal(err.rawMessage, "shelves/999 does not exist");
      assert.equal(err.details.length, 1);
      return true;
    });
  });
});

describe("node:http gateway → in-process implementation (no gRPC hop)", () => {
  let http: HttpTestServer;
  before(async () => {
    const mux = new Mux({ notFound: "404" });
    const local: LibraryServiceApi = new InMemoryLibrary();
    registerLibraryService(mux, local);
    http = await startHttpServer(mux.handler);
  });
  after(() => http.close());
  session(() => http.url);

  test("no route → 404 with a google.rpc.Status body", async () => {
    const res = await request(`${http.url}/v9/unknown`);
    assert.equal(res.status, 404);
    assert.deepEqual(res.json, { code: 5, message: "no route for GET /v9/unknown", details: [] });
  });
});
