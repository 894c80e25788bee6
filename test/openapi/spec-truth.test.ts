// The spec tells the truth: requests driven through real gateways (the example
// in front of its grpc-js backend, and every conformance proto's services in
// front of recording grpc-js servers) are checked against the generated
// OpenAPI documents — each request must be one the document allows, each
// answer (success, error, every NDJSON stream line) must validate against the
// schema the document gives for that operation and status — and the documents'
// operations must be exactly the generated routers' routes.
import assert from "node:assert/strict";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { credentials } from "@grpc/grpc-js";
import { createGatewayApp, librarySpecFile } from "../../examples/library/src/gateway.js";
import {
  addLibraryService,
  LibraryServiceClient,
  libraryServiceRoutes,
} from "../../examples/library/src/gen/library/v1/library_gateway.js";
import { InMemoryLibrary } from "../../examples/library/src/library-service.js";
import { type GeneratedService, startGateway } from "../conformance/gateway-fixture.js";
import { repoRoot } from "../support/generate-inline.js";
import {
  type GrpcTestServer,
  type HttpTestServer,
  startGrpcServer,
  startHttpServer,
} from "../support/servers.js";
import {
  assertSameRoutes,
  type Exchange,
  operationsOf,
  SpecChecker,
  type TableRoute,
} from "./spec-check.js";

interface Send {
  json?: unknown;
  body?: string;
  contentType?: string;
  headers?: Record<string, string>;
  /** Malformed on purpose: the document need not allow the request, only describe the answer. */
  invalid?: boolean;
}

/** Sends one request, checks the exchange against the document, returns it. */
async function exchange(
  base: string,
  checker: SpecChecker,
  method: string,
  url: string,
  init: Send = {},
): Promise<Exchange> {
  const body = init.json !== undefined ? JSON.stringify(init.json) : init.body;
  const contentType = init.contentType ?? (body === undefined ? undefined : "application/json");
  const res = await fetch(base + url, {
    method,
    headers: { ...(contentType ? { "content-type": contentType } : {}), ...init.headers },
    ...(body === undefined ? {} : { body }),
  });
  const x: Exchange = {
    method,
    url,
    ...(contentType ? { contentType } : {}),
    ...(body === undefined ? {} : { body }),
    ...(init.invalid ? { requestValid: false } : {}),
    status: res.status,
    responseType: res.headers.get("content-type") ?? "",
    responseText: await res.text(),
  };
  checker.check(x);
  return x;
}

describe("the example's document tells the truth", () => {
  let backend: GrpcTestServer;
  let http: HttpTestServer;
  let client: LibraryServiceClient;
  let checker: SpecChecker;
  before(async () => {
    checker = new SpecChecker(JSON.parse(await readFile(librarySpecFile, "utf8")));
    backend = await startGrpcServer((s) => addLibraryService(s, new InMemoryLibrary()));
    client = new LibraryServiceClient(backend.address, credentials.createInsecure());
    http = await startHttpServer(createGatewayApp(client));
  });
  after(async () => {
    await http?.close();
    client?.close();
    await backend?.close();
  });

  test("the document's operations are the router's routes", () => {
    assertSameRoutes(checker.doc, libraryServiceRoutes.routes as readonly TableRoute[]);
  });

  // One session over every route: [method, url, body?, expected status].
  const session: Array<[string, string, Send, number]> = [
    ["POST", "/v1/shelves", { json: { theme: "Fiction" } }, 201],
    ["POST", "/v1/shelves", { json: { theme: "Poetry" } }, 201],
    ["GET", "/v1/shelves?pageSize=1", {}, 200],
    ["GET", "/v1/shelves/1", {}, 200],
    ["GET", "/v1/shelves/99", {}, 404],
    [
      "POST",
      "/v1/shelves/1/books",
      {
        json: {
          title: "Dune",
          author: "Frank Herbert",
          genre: "GENRE_FICTION",
          pageCount: 412,
          labels: { lang: "en" },
        },
      },
      201,
    ],
    ["POST", "/v1/shelves/1/books", { json: { title: "Emma", genre: 2 } }, 201],
    ["POST", "/v1/shelves/1/books", { json: { author: "nobody" } }, 400],
    ["POST", "/v1/shelves/1/books", { body: "{not json", invalid: true }, 400],
    [
      "POST",
      "/v1/shelves/1/books",
      { body: "title=x", contentType: "text/plain", invalid: true },
      415,
    ],
    ["GET", "/v1/shelves/1/books?pageSize=5&genre=GENRE_FICTION", {}, 200],
    ["GET", "/v1/shelves/1/books?pageSize=notanumber", { invalid: true }, 400],
    ["GET", "/v1/shelves/1/books/1", {}, 200],
    ["PATCH", "/v1/shelves/1/books/1", { json: { read: true } }, 200],
    ["PATCH", "/v1/shelves/1/books/2?updateMask=title", { json: { title: "Emma." } }, 200],
    ["POST", "/v1/shelves/1/books/1:move", { json: { otherShelfName: "shelves/2" } }, 200],
    ["POST", "/v1/shelves/1/books/2:move", { json: { otherShelfName: "shelves/77" } }, 404],
    ["GET", "/v1/shelves/2:watch", { headers: { "grpc-timeout": "300m" } }, 200],
    [
      "POST",
      "/v1/shelves/2:discuss",
      {
        body: '{"user":"ann","text":"hi"}\n{"user":"bob","text":"yo"}\n',
        contentType: "application/x-ndjson",
        headers: { "grpc-timeout": "300m" },
      },
      200,
    ],
    ["GET", "/v1/shelves/1/books/1", { headers: { "grpc-timeout": "bogus" }, invalid: true }, 400],
    [
      "POST",
      "/v1/uploads",
      { json: { description: "notes", file: { contentType: "text/plain", data: "aGk=" } } },
      200,
    ],
    ["DELETE", "/v1/shelves/1/books/2", {}, 200],
    ["DELETE", "/v1/shelves/2", {}, 200],
    ["DELETE", "/v1/shelves/2", {}, 404],
  ];
  for (const [method, url, init, status] of session) {
    test(`${method} ${url} → ${status}`, async () => {
      const x = await exchange(http.url, checker, method, url, init);
      assert.equal(x.status, status, x.responseText);
    });
  }

  test("the stream answered lines: a result, then the deadline's error line", async () => {
    await exchange(http.url, checker, "POST", "/v1/shelves/1/books", {
      json: { title: "Ulysses" },
    });
    const x = await exchange(http.url, checker, "GET", "/v1/shelves/1:watch", {
      headers: { "grpc-timeout": "300m" },
    });
    const lines = x.responseText
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    assert.ok(
      lines.some((l) => "result" in l),
      x.responseText,
    );
    assert.ok("error" in lines.at(-1), x.responseText);
  });

  test("every operation was exercised", () => {
    assert.deepEqual([...checker.covered].sort(), checker.operations().sort());
  });
});

/** Every conformance service: the generated module's exports by naming convention. */
async function conformanceServices(): Promise<
  Array<{ file: string; generated: GeneratedService; routes: TableRoute[] }>
> {
  const dir = join(repoRoot, "test/gen/conformance/v1");
  const out: Array<{ file: string; generated: GeneratedService; routes: TableRoute[] }> = [];
  for (const file of (await readdir(dir)).filter((f) => f.endsWith("_gateway.ts")).sort()) {
    const mod = (await import(join(dir, file))) as Record<string, any>;
    for (const key of Object.keys(mod).filter((k) => k.startsWith("register"))) {
      const name = key.slice("register".length);
      const table = mod[`${name.charAt(0).toLowerCase()}${name.slice(1)}Routes`];
      out.push({
        file: file.replace("_gateway.ts", ""),
        generated: {
          service: table.service,
          add: mod[`add${name}`],
          Client: mod[`${name}Client`],
          register: mod[key],
        },
        routes: table.routes,
      });
    }
  }
  return out;
}

/** A sample value for a path parameter, valid for its schema. */
function sample(param: Record<string, any>, doc: Record<string, any>): string {
  let schema = param.schema ?? {};
  if (schema.$ref) schema = doc.components.schemas[schema.$ref.split("/").pop()];
  if (schema.anyOf) return String(schema.anyOf[0].enum?.[1] ?? schema.anyOf[0].enum?.[0] ?? "1");
  if (schema.type === "integer" || schema.format === "int64" || schema.format === "uint64")
    return "7";
  if (schema.type === "boolean") return "true";
  return param["x-multi-segment"] ? "a/b" : "seg";
}

describe("the conformance protos' documents tell the truth", async () => {
  const services = await conformanceServices();
  const byFile = new Map<string, typeof services>();
  for (const s of services) byFile.set(s.file, [...(byFile.get(s.file) ?? []), s]);
  for (const [file, group] of byFile) {
    describe(file, () => {
      let gateway: Awaited<ReturnType<typeof startGateway>>;
      let checker: SpecChecker;
      before(async () => {
        checker = new SpecChecker(
          JSON.parse(
            await readFile(join(repoRoot, `test/gen/conformance/v1/${file}.openapi.json`), "utf8"),
          ),
        );
        gateway = await startGateway(group.map((g) => g.generated));
      });
      after(() => gateway?.close());

      test("the document's operations are the routers' routes", () => {
        assertSameRoutes(
          checker.doc,
          group.flatMap((g) => g.routes),
        );
      });

      test("every operation answers what the document says: success, bad query, bad body", async () => {
        for (const [path, item] of Object.entries(checker.doc.paths as Record<string, any>)) {
          for (const [method, op] of operationsOf(item as Record<string, any>)) {
            const url = path.replace(/\{([^}]+)\}/g, (_, name: string) =>
              sample(
                (op.parameters ?? []).find((p: any) => p.name === name),
                checker.doc,
              ),
            );
            const upper = method.toUpperCase();
            const raw = op.requestBody && "*/*" in op.requestBody.content;
            const streaming = op.requestBody && "application/x-ndjson" in op.requestBody.content;
            const ok = await exchange(
              gateway.url,
              checker,
              upper,
              url,
              op.requestBody
                ? raw
                  ? { body: "raw bytes", contentType: "text/plain" }
                  : streaming
                    ? { body: "{}\n{}\n", contentType: "application/x-ndjson" }
                    : { body: "{}" }
                : {},
            );
            assert.ok(ok.status < 300, `${upper} ${url}: ${ok.status} ${ok.responseText}`);
            const intQuery = (op.parameters ?? []).find(
              (p: any) => p.in === "query" && p.schema?.type === "integer",
            );
            if (intQuery) {
              const bad = await exchange(gateway.url, checker, upper, `${url}?${intQuery.name}=x`, {
                invalid: true,
                ...(op.requestBody && !raw ? { body: "{}" } : {}),
              });
              assert.equal(bad.status, 400, bad.responseText);
            }
            if (op.requestBody && !raw) {
              const bad = await exchange(gateway.url, checker, upper, url, {
                body: "[",
                contentType: streaming ? "application/x-ndjson" : "application/json",
                invalid: true,
              });
              assert.ok(
                bad.status === 400 || (streaming && bad.status === 200),
                `${bad.status} ${bad.responseText}`,
              );
            }
          }
        }
        assert.deepEqual([...checker.covered].sort(), checker.operations().sort());
      });
    });
  }
});
