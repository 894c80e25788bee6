// grpc-gateway's protoc-gen-openapiv2 switches under their `openapi_*` names
// (docs/openapi.md "grpc-gateway's openapiv2 annotations and flags"): one
// inline proto compiled once by real buf (source info and all), then one row
// per option set run through the plugin as buf runs it (a
// CodeGeneratorRequest in, the response's files out); each row checks what
// the switch changes in the document, and every document validates as
// OpenAPI 3.1. One row goes the whole way through `buf generate`.
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { create, fromBinary } from "@bufbuild/protobuf";
import {
  CodeGeneratorRequestSchema,
  type FileDescriptorProto,
  FileDescriptorSetSchema,
} from "@bufbuild/protobuf/wkt";
import { compileErrors, validate } from "@readme/openapi-parser";
import { protocGenTsGateway } from "protoc-gen-ts-gateway";
import { schemaNames } from "../../packages/protoc-gen-ts-gateway/src/openapi/naming.js";
import { generateInline, repoRoot, run, writeBufWorkspace } from "../support/generate-inline.js";

type Doc = Record<string, any>;

const shop = `syntax = "proto3";
package shop.v1;
import "google/api/annotations.proto";
import "protoc-gen-openapiv2/options/annotations.proto";
import "other/v1/other.proto";

option (grpc.gateway.protoc_gen_openapiv2.options.openapiv2_swagger) = {
  host: "api.example.com"
  base_path: "/shop"
  schemes: [HTTPS, WSS]
  security_definitions: {
    security: {
      key: "Implicit"
      value: { type: TYPE_OAUTH2 flow: FLOW_IMPLICIT authorization_url: "https://auth.example.com/a"
               scopes: { scope: { key: "read" value: "Read" } } }
    }
    security: {
      key: "Password"
      value: { type: TYPE_OAUTH2 flow: FLOW_PASSWORD token_url: "https://auth.example.com/t" }
    }
    security: {
      key: "Machine"
      value: { type: TYPE_OAUTH2 flow: FLOW_APPLICATION token_url: "https://auth.example.com/t" }
    }
    security: { key: "Key" value: { type: TYPE_API_KEY in: IN_QUERY name: "key" description: "A key" } }
  }
};

// Books for sale.
service BookService {
  // Lists books. (-- internal: paged by the store --)
  rpc ListBooks(ListBooksRequest) returns (ListBooksResponse) {
    option (google.api.http) = { get: "/v1/books" };
  }
  // Gets a book.
  rpc GetBook(GetBookRequest) returns (Book) {
    option (google.api.http) = { get: "/v1/books/{name}" };
    option (grpc.gateway.protoc_gen_openapiv2.options.openapiv2_operation) = {
      schemes: [HTTP]
      security: {}
      parameters: {
        headers: { name: "X-Request-Id" type: STRING format: "uuid" required: true description: "Trace id" }
      }
    };
  }
  rpc Compare(other.v1.Book) returns (Book) {
    option (google.api.http) = { post: "/v1/books:compare" body: "*" };
  }
}

enum Cover { COVER_UNSPECIFIED = 0; HARD = 1; SOFT = 2; }

// A book.
message Book {
  option (grpc.gateway.protoc_gen_openapiv2.options.openapiv2_schema) = { discriminator: "name" };
  message Page {
    int32 number = 1 [(grpc.gateway.protoc_gen_openapiv2.options.openapiv2_field) = {
      minimum: 1 maximum: 1000 exclusive_maximum: true multiple_of: 1
    }];
  }
  string name = 1;
  optional string subtitle = 2;
  Cover cover = 3;
  repeated Page pages = 4 [(grpc.gateway.protoc_gen_openapiv2.options.openapiv2_field) = {
    max_items: 500 unique_items: true
  }];
  string format_name = 5 [(grpc.gateway.protoc_gen_openapiv2.options.openapiv2_field) = {
    enum: ["paper", "ebook"] read_only: true
  }];
}
message GetBookRequest { string name = 1; }
message ListBooksRequest { int32 page_size = 1; }
message ListBooksResponse { repeated Book books = 1; }
`;

const other = `syntax = "proto3";
package other.v1;
message Book { string isbn = 1; }
`;

/** grpc-gateway's openapi_configuration file: its `openapiOptions` per element. */
const configuration = `openapiOptions:
  file:
    - file: shop/v1/shop.proto
      option:
        info: { title: Shop, version: "2.0" }
        host: api.example.com
        basePath: /shop
        schemes: [HTTPS]
        securityDefinitions:
          security:
            Key: { type: TYPE_API_KEY, in: IN_QUERY, name: key }
  method:
    - method: shop.v1.BookService.GetBook
      option:
        summary: Configured summary
        operationId: fetchBook
  message:
    - message: shop.v1.Book
      option:
        jsonSchema: { title: Configured book, required: [name] }
  field:
    - field: shop.v1.Book.name
      option: { pattern: "^books/[a-z]+$", example: '"books/dune"' }
  service:
    - service: shop.v1.BookService
      option: { description: Configured tag }
`;

const operation = (doc: Doc, path: string, method = "get"): Doc => doc.paths[path][method];
const names = (doc: Doc) => Object.keys(doc.components.schemas).sort();

/** Each row: plugin options (besides openapi=only), then what the document must show. */
const cases: ReadonlyArray<{
  name: string;
  options: readonly string[];
  check: (doc: Doc) => void;
}> = [
  {
    name: "defaults: Service_Method ids, service tags, 2XX and gateway errors, fqn names, RPC order",
    options: [],
    check: (doc) => {
      const op = operation(doc, "/v1/books/{name}");
      assert.equal(op.operationId, "BookService_GetBook");
      assert.deepEqual(op.tags, ["BookService"]);
      assert.ok(op.responses["2XX"] && op.responses["400"] && op.responses.default);
      assert.equal(op.summary, "Gets a book.");
      assert.deepEqual(names(doc), [
        "google.protobuf.Any",
        "google.rpc.Status",
        "other.v1.Book",
        "shop.v1.Book",
        "shop.v1.Book.Page",
        "shop.v1.Cover",
        "shop.v1.ListBooksResponse",
      ]);
      // grpc-gateway's preserve_rpc_order is how paths always come here.
      assert.deepEqual(Object.keys(doc.paths), [
        "/v1/books",
        "/v1/books/{name}",
        "/v1/books:compare",
      ]);
      assert.equal(
        operation(doc, "/v1/books").summary,
        "Lists books. (-- internal: paged by the store --)",
      );
      // host, base_path, schemes → servers; an operation's own schemes → its servers.
      assert.deepEqual(doc.servers, [
        { url: "https://api.example.com/shop" },
        { url: "wss://api.example.com/shop" },
      ]);
      assert.deepEqual(op.servers, [{ url: "http://api.example.com/shop" }]);
      assert.equal(operation(doc, "/v1/books").servers, undefined);
      // The annotations a_bit_of_everything.proto does not use.
      assert.deepEqual(doc.components.securitySchemes, {
        Implicit: {
          type: "oauth2",
          flows: {
            implicit: { authorizationUrl: "https://auth.example.com/a", scopes: { read: "Read" } },
          },
        },
        Password: {
          type: "oauth2",
          flows: { password: { tokenUrl: "https://auth.example.com/t", scopes: {} } },
        },
        Machine: {
          type: "oauth2",
          flows: { clientCredentials: { tokenUrl: "https://auth.example.com/t", scopes: {} } },
        },
        Key: { type: "apiKey", name: "key", in: "query", description: "A key" },
      });
      assert.deepEqual(op.security, [{}]);
      assert.deepEqual(op.parameters.at(-1), {
        name: "X-Request-Id",
        in: "header",
        description: "Trace id",
        required: true,
        schema: { type: "string", format: "uuid" },
      });
      const book = doc.components.schemas["shop.v1.Book"];
      assert.deepEqual(book.discriminator, { propertyName: "name" });
      assert.deepEqual(book.properties.pages.maxItems, 500);
      assert.deepEqual(book.properties.pages.uniqueItems, true);
      assert.deepEqual(book.properties.formatName.enum, ["paper", "ebook"]);
      assert.deepEqual(book.properties.formatName.readOnly, true);
      const page = doc.components.schemas["shop.v1.Book.Page"].properties.number;
      assert.deepEqual(
        [page.minimum, page.exclusiveMaximum, page.maximum, page.multipleOf],
        [1, 1000, undefined, 1],
      );
      const subtitle = doc.components.schemas["shop.v1.Book"].properties.subtitle;
      assert.deepEqual(subtitle, { type: "string" });
      const cover = doc.components.schemas["shop.v1.Cover"].anyOf[0];
      assert.deepEqual(cover.enum, ["COVER_UNSPECIFIED", "HARD", "SOFT"]);
    },
  },
  {
    name: "openapi_disable_default_errors",
    options: ["openapi_disable_default_errors=true"],
    check: (doc) => {
      assert.deepEqual(Object.keys(operation(doc, "/v1/books/{name}").responses), ["2XX"]);
      assert.equal(doc.components.responses, undefined);
    },
  },
  {
    name: "openapi_disable_default_responses",
    options: ["openapi_disable_default_responses=true"],
    check: (doc) => {
      const responses = operation(doc, "/v1/books/{name}").responses;
      assert.equal(responses["2XX"], undefined);
      assert.ok(responses.default);
    },
  },
  {
    name: "openapi_disable_service_tags",
    options: ["openapi_disable_service_tags=true"],
    check: (doc) => {
      assert.equal(operation(doc, "/v1/books/{name}").tags, undefined);
      assert.deepEqual(doc.tags, []);
    },
  },
  {
    name: "openapi_include_package_in_tags",
    options: ["openapi_include_package_in_tags=true"],
    check: (doc) => {
      assert.deepEqual(operation(doc, "/v1/books/{name}").tags, ["shop.v1.BookService"]);
      assert.equal(doc.tags[0].name, "shop.v1.BookService");
    },
  },
  {
    name: "openapi_simple_operation_ids",
    options: ["openapi_simple_operation_ids=true"],
    check: (doc) => assert.equal(operation(doc, "/v1/books/{name}").operationId, "GetBook"),
  },
  {
    name: "openapi_naming_strategy=legacy",
    options: ["openapi_naming_strategy=legacy"],
    check: (doc) => {
      assert.deepEqual(names(doc), [
        "BookPage",
        "otherV1Book",
        "protobufAny",
        "rpcStatus",
        "shopV1Book",
        "v1Cover",
        "v1ListBooksResponse",
      ]);
      const book = doc.components.schemas.shopV1Book;
      assert.equal(book.properties.pages.items.$ref, "#/components/schemas/BookPage");
    },
  },
  {
    name: "openapi_naming_strategy=simple",
    options: ["openapi_naming_strategy=simple"],
    check: (doc) =>
      assert.deepEqual(names(doc), [
        "Any",
        "Cover",
        "ListBooksResponse",
        "Page",
        "Status",
        "other.v1.Book",
        "shop.v1.Book",
      ]),
  },
  {
    name: "openapi_naming_strategy=package",
    options: ["openapi_naming_strategy=package"],
    check: (doc) =>
      assert.deepEqual(names(doc), [
        "Any",
        "Book.Page",
        "Cover",
        "ListBooksResponse",
        "Status",
        "other.v1.Book",
        "shop.v1.Book",
      ]),
  },
  {
    name: "openapi_ignore_comments",
    options: ["openapi_ignore_comments=true"],
    check: (doc) => {
      assert.equal(operation(doc, "/v1/books/{name}").summary, undefined);
      assert.equal(doc.components.schemas["shop.v1.Book"].description, undefined);
    },
  },
  {
    name: "openapi_remove_internal_comments",
    options: ["openapi_remove_internal_comments=true"],
    check: (doc) => assert.equal(operation(doc, "/v1/books").summary, "Lists books."),
  },
  {
    name: "openapi_proto3_optional_nullable",
    options: ["openapi_proto3_optional_nullable=true"],
    check: (doc) => {
      const props = doc.components.schemas["shop.v1.Book"].properties;
      assert.deepEqual(props.subtitle, { anyOf: [{ type: "string" }, { type: "null" }] });
      assert.deepEqual(props.name, { type: "string" });
    },
  },
  {
    name: "openapi_omit_enum_default_value",
    options: ["openapi_omit_enum_default_value=true"],
    check: (doc) => {
      const cover = doc.components.schemas["shop.v1.Cover"].anyOf;
      assert.deepEqual(cover[0].enum, ["HARD", "SOFT"]);
      assert.deepEqual(cover[1].enum, [1, 2]);
    },
  },
  {
    name: "openapi_enum_as_integer (grpc-gateway's enums_as_ints)",
    options: ["openapi_enum_as_integer=true"],
    check: (doc) => {
      const cover = doc.components.schemas["shop.v1.Cover"].anyOf;
      assert.deepEqual(cover[0], { type: "integer", enum: [0, 1, 2] });
    },
  },
  {
    name: "openapi_configuration with grpc-gateway's openapiOptions",
    options: ["openapi_configuration=<config>"],
    check: (doc) => {
      assert.deepEqual(doc.info, { title: "Shop", version: "2.0" });
      // The file's configured option replaces its annotation (schemes: HTTPS only).
      assert.deepEqual(doc.servers, [{ url: "https://api.example.com/shop" }]);
      assert.deepEqual(doc.components.securitySchemes, {
        Key: { type: "apiKey", in: "query", name: "key" },
      });
      const op = operation(doc, "/v1/books/{name}");
      assert.equal(op.summary, "Configured summary");
      assert.equal(op.operationId, "fetchBook");
      const book = doc.components.schemas["shop.v1.Book"];
      assert.equal(book.title, "Configured book");
      assert.deepEqual(book.required, ["name"]);
      assert.equal(book.properties.name.pattern, "^books/[a-z]+$");
      assert.equal(book.properties.name.example, "books/dune");
      assert.equal(
        doc.tags.find((t: Doc) => t.name === "BookService").description,
        "Configured tag",
      );
    },
  },
];

const protos = { "shop/v1/shop.proto": shop, "other/v1/other.proto": other };

/** The protos compiled by `buf build` in a workspace laid out as generateInline's. */
async function compile(dir: string): Promise<FileDescriptorProto[]> {
  await writeBufWorkspace(dir, protos);
  const bin = join(repoRoot, "node_modules/.bin/buf");
  const built = await run(bin, ["build", "proto", "-o", "image.binpb"], dir);
  assert.equal(built.code, 0, built.stderr);
  return fromBinary(FileDescriptorSetSchema, await readFile(join(dir, "image.binpb"))).file;
}

/** The plugin run on the compiled protos with `parameter`: the document, or the error. */
function generate(files: FileDescriptorProto[], parameter: string): { doc?: Doc; error?: string } {
  const request = create(CodeGeneratorRequestSchema, {
    fileToGenerate: ["shop/v1/shop.proto", "other/v1/other.proto"],
    parameter,
    protoFile: files,
  });
  const response = protocGenTsGateway.run(request);
  if (response.error !== undefined && response.error !== "") return { error: response.error };
  const file = response.file.find((f) => f.name === "shop/v1/shop.openapi.json");
  assert.ok(file, response.file.map((f) => f.name).join(", "));
  return { doc: JSON.parse(file.content) };
}

// grpc-gateway's own naming table (protoc-gen-openapiv2/internal/genopenapi/naming_test.go).
describe("openapi_naming_strategy: grpc-gateway's naming table", () => {
  const table: Record<string, { fqn: string; legacy: string; simple: string; package: string }> = {
    A: { fqn: "A", legacy: "A", simple: "A", package: "A" },
    "a.B.C": { fqn: "a.B.C", legacy: "aBC", simple: "B.C", package: "B.C" },
    "a.D.C": { fqn: "a.D.C", legacy: "aDC", simple: "D.C", package: "D.C" },
    "a.E.F": { fqn: "a.E.F", legacy: "aEF", simple: "a.E.F", package: "a.E.F" },
    "b.E.F": { fqn: "b.E.F", legacy: "bEF", simple: "b.E.F", package: "b.E.F" },
    "c.G.H": { fqn: "c.G.H", legacy: "GH", simple: "H", package: "G.H" },
  };
  for (const strategy of ["fqn", "legacy", "simple", "package"] as const) {
    test(strategy, () => {
      const names = schemaNames(Object.keys(table), strategy);
      for (const [full, expected] of Object.entries(table)) {
        assert.equal(names.get(full), expected[strategy], full);
      }
    });
  }
});

describe("grpc-gateway's generator switches", () => {
  let dir: string;
  let config: string;
  let files: FileDescriptorProto[];
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "ts-gateway-switches-"));
    config = join(dir, "openapi.yaml");
    await writeFile(config, configuration);
    files = await compile(dir);
  });
  after(() => rm(dir, { recursive: true, force: true }));

  for (const row of cases) {
    test(row.name, async () => {
      const options = row.options.map((o) => o.replace("<config>", config));
      const { doc, error } = generate(files, ["openapi=only", ...options].join(","));
      assert.equal(error, undefined);
      row.check(doc!);
      const result = await validate(structuredClone(doc) as never);
      assert.ok(result.valid, compileErrors(result));
    });
  }

  test("docs/openapi.md: its openapiOptions example does what it says", async () => {
    const page = await readFile(join(repoRoot, "docs/openapi.md"), "utf8");
    const block = [...page.matchAll(/```yaml\n([\s\S]*?)```/g)]
      .map((m) => m[1]!)
      .find((b) => b.startsWith("openapiOptions:"));
    assert.ok(block, "a yaml block starting with openapiOptions:");
    const path = join(dir, "docs-example.yaml");
    await writeFile(path, block);
    const { doc, error } = generate(files, `openapi=only,openapi_configuration=${path}`);
    assert.equal(error, undefined);
    assert.deepEqual(doc!.info, { title: "Shop", version: "2.0" });
    assert.deepEqual(doc!.servers, [{ url: "https://api.example.com" }]);
    const op = operation(doc!, "/v1/books/{name}");
    assert.deepEqual([op.summary, op.operationId], ["Gets a book", "fetchBook"]);
    const book = doc!.components.schemas["shop.v1.Book"];
    assert.deepEqual([book.title, book.required], ["Book", ["name"]]);
    assert.equal(book.properties.name.pattern, "^books/[a-z]+$");
    assert.equal(doc!.tags[0].description, "Books for sale");
  });

  test("docs/openapi.md: every openapi_* option of the flag table has a row here", async () => {
    const page = await readFile(join(repoRoot, "docs/openapi.md"), "utf8");
    const section = page.slice(page.indexOf("| protoc-gen-openapiv2 flag |"));
    const table = section.slice(0, section.indexOf("\n\n"));
    const documented = new Set([...table.matchAll(/`(openapi_[a-z_]+)=/g)].map((m) => m[1]!));
    const covered = new Set(cases.flatMap((c) => c.options.map((o) => o.split("=")[0]!)));
    // Older options with tests of their own (generator.test.ts).
    for (const own of ["openapi_use_proto_field_name", "openapi_merge", "openapi_format"]) {
      covered.add(own);
    }
    covered.add("openapi_visibility_restriction_selectors"); // grpc-gateway-visibility.test.ts
    assert.ok(documented.size >= 12, [...documented].join());
    for (const option of documented) assert.ok(covered.has(option), option);
  });

  // buf runs the plugin once per directory (shop/v1, other/v1): the
  // configuration's entries for shop.v1 are skipped in the other/v1 run.
  test("through buf generate: a switch and grpc-gateway's openapi_configuration", async () => {
    const gen = await generateInline(
      protos,
      ["openapi=only", "openapi_simple_operation_ids=true", `openapi_configuration=${config}`],
      { gatewayOnly: true },
    );
    try {
      assert.equal(gen.code, 0, gen.stderr);
      const doc: Doc = JSON.parse(
        await readFile(join(gen.outDir, "shop/v1/shop.openapi.json"), "utf8"),
      );
      assert.equal(operation(doc, "/v1/books").operationId, "ListBooks");
      assert.equal(operation(doc, "/v1/books/{name}").operationId, "fetchBook");
      assert.deepEqual(doc.info, { title: "Shop", version: "2.0" });
    } finally {
      await gen.cleanup();
    }
  });

  const refused: ReadonlyArray<{ options: string[]; config?: string; error: RegExp }> = [
    {
      options: ["openapi_naming_strategy=short"],
      error: /openapi_naming_strategy takes fqn, legacy, simple, package, not "short"/,
    },
    {
      options: ["openapi_configuration=<config>"],
      config:
        "openapiOptions:\n  method:\n    - method: shop.v1.BookService.Nope\n      option: {}\n",
      error: /openapi_configuration: no method shop.v1.BookService.Nope found/,
    },
    {
      options: ["openapi_configuration=<config>"],
      config:
        "openapiOptions:\n  message:\n    - message: shop.v1.Book\n      option: { nope: 1 }\n",
      error: /openapi_configuration: message shop.v1.Book: .*nope/,
    },
  ];
  for (const [i, row] of refused.entries()) {
    test(`refused: ${row.options.join(",")} ${row.config === undefined ? "" : "(bad configuration)"}`, async () => {
      const path = join(dir, `bad-${i}.yaml`);
      if (row.config !== undefined) await writeFile(path, row.config);
      const options = row.options.map((o) => o.replace("<config>", path));
      const run = () => generate(files, ["openapi=only", ...options].join(","));
      // Option errors throw (protoplugin's parseOptions); errors in the input answer in the response.
      let message: string | undefined;
      try {
        message = run().error;
      } catch (err) {
        message = err instanceof Error ? err.message : String(err);
      }
      assert.match(message ?? "", row.error);
    });
  }
});
