// A client generated from the example's document: `openapi-typescript` types
// (test/gen/openapi/library.ts, written by `npm run generate`) and an
// `openapi-fetch` client over them. `npm run typecheck` checks this file, so
// the calls below type-check against the document, and the @ts-expect-error
// lines prove the types are not `any`; the test calls the running example.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { credentials } from "@grpc/grpc-js";
import createClient, { type Client } from "openapi-fetch";
import { createGatewayApp } from "../../examples/library/src/gateway.js";
import {
  addLibraryService,
  LibraryServiceClient,
} from "../../examples/library/src/gen/library/v1/library_gateway.js";
import { InMemoryLibrary } from "../../examples/library/src/library-service.js";
import type { paths } from "../gen/openapi/library.js";
import {
  type GrpcTestServer,
  type HttpTestServer,
  startGrpcServer,
  startHttpServer,
} from "../support/servers.js";

/** Never called: each line must fail to type-check. */
export function typeErrors(api: Client<paths>): void {
  // @ts-expect-error the path parameter is `shelf`, not `name`
  api.GET("/v1/shelves/{shelf}", { params: { path: { name: "shelves/1" } } });
  // @ts-expect-error no such path
  api.GET("/v1/shelf/{shelf}", { params: { path: { shelf: "1" } } });
  api.POST("/v1/shelves/{shelf}/books", {
    params: { path: { shelf: "1" } },
    // @ts-expect-error pageCount is a number
    body: { pageCount: "x" },
  });
  api.GET("/v1/shelves/{shelf}/books", {
    // @ts-expect-error not a genre
    params: { path: { shelf: "1" }, query: { genre: "GENRE_JAZZ" } },
  });
}

describe("a typed fetch client generated from the example's document", () => {
  let backend: GrpcTestServer;
  let http: HttpTestServer;
  let grpcClient: LibraryServiceClient;
  let api: Client<paths>;
  before(async () => {
    backend = await startGrpcServer((s) => addLibraryService(s, new InMemoryLibrary()));
    grpcClient = new LibraryServiceClient(backend.address, credentials.createInsecure());
    http = await startHttpServer(createGatewayApp(grpcClient));
    api = createClient<paths>({ baseUrl: http.url });
  });
  after(async () => {
    await http?.close();
    grpcClient?.close();
    await backend?.close();
  });

  test("create, get, list, update, move and a typed error", async () => {
    const shelf = await api.POST("/v1/shelves", { body: { theme: "Fiction" } });
    assert.equal(shelf.response.status, 201);
    assert.equal(shelf.data?.name, "shelves/1");
    await api.POST("/v1/shelves", { body: { theme: "Poetry" } });

    const got = await api.GET("/v1/shelves/{shelf}", { params: { path: { shelf: "1" } } });
    assert.equal(got.data?.theme, "Fiction");

    const book = await api.POST("/v1/shelves/{shelf}/books", {
      params: { path: { shelf: "1" } },
      body: { title: "Dune", genre: "GENRE_FICTION", pageCount: 412, labels: { lang: "en" } },
    });
    assert.equal(book.data?.name, "shelves/1/books/1");

    const list = await api.GET("/v1/shelves/{shelf}/books", {
      params: { path: { shelf: "1" }, query: { pageSize: 5, genre: "GENRE_FICTION" } },
    });
    assert.deepEqual(
      list.data?.books?.map((b) => b.title),
      ["Dune"],
    );

    const updated = await api.PATCH("/v1/shelves/{shelf}/books/{book}", {
      params: { path: { shelf: "1", book: "1" }, query: { updateMask: "read" } },
      body: { read: true, title: "ignored: not in the mask" },
    });
    assert.equal(updated.data?.read, true);
    assert.equal(updated.data?.title, "Dune");

    const moved = await api.POST("/v1/shelves/{shelf}/books/{book}:move", {
      params: { path: { shelf: "1", book: "1" } },
      body: { otherShelfName: "shelves/2" },
    });
    assert.match(moved.data?.name ?? "", /^shelves\/2\/books\//);

    const missing = await api.GET("/v1/shelves/{shelf}", { params: { path: { shelf: "99" } } });
    assert.equal(missing.response.status, 404);
    assert.equal(missing.error?.code, 5);
    assert.deepEqual(missing.data, undefined);
  });
});
