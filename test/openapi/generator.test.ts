// The OpenAPI generator: every document the repository generates validates as
// OpenAPI 3.1 (@readme/openapi-parser), and an inline proto with every
// construct the README's OpenAPI table lists comes out as that table says.
import assert from "node:assert/strict";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { create } from "@bufbuild/protobuf";
import { CodeGeneratorRequestSchema } from "@bufbuild/protobuf/wkt";
import { compileErrors, validate } from "@readme/openapi-parser";
import { protocGenTsGateway } from "protoc-gen-ts-gateway";
import { parse as parseYaml } from "yaml";
import { generateInline, type InlineGeneration, repoRoot } from "../support/generate-inline.js";

type Doc = Record<string, any>;

async function assertValid(doc: Doc, what: string): Promise<void> {
  const result = await validate(structuredClone(doc) as never);
  assert.ok(result.valid, `${what}: ${compileErrors(result)}`);
  assert.equal(doc.openapi, "3.1.0");
}

/** Every `*.openapi.json` under a directory. */
async function documentsUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true });
  return entries.filter((e) => e.endsWith(".openapi.json")).map((e) => join(dir, e));
}

describe("generated documents validate as OpenAPI 3.1", async () => {
  const files = [
    ...(await documentsUnder(join(repoRoot, "examples/library/src/gen"))),
    ...(await documentsUnder(join(repoRoot, "test/gen"))),
  ];
  test("the example and the test protos have documents", () => {
    assert.ok(files.some((f) => f.endsWith("library/v1/library.openapi.json")));
    assert.ok(files.length >= 8, files.join("\n"));
  });
  for (const file of files) {
    test(file.slice(repoRoot.length + 1), async () => {
      await assertValid(JSON.parse(await readFile(file, "utf8")), file);
    });
  }
});

const shapes = `syntax = "proto3";
package shapes.v1;
import "google/api/annotations.proto";
import "google/api/field_behavior.proto";
import "google/api/httpbody.proto";
import "google/protobuf/any.proto";
import "google/protobuf/duration.proto";
import "google/protobuf/field_mask.proto";
import "google/protobuf/struct.proto";
import "google/protobuf/timestamp.proto";
import "google/protobuf/wrappers.proto";

// Shapes of every kind.
service ShapeService {
  // Gets a shape.
  //
  // More about getting.
  rpc GetShape(GetShapeRequest) returns (Shape) {
    option (google.api.http) = {
      get: "/v1/{name=projects/*/shapes/*}"
      additional_bindings { get: "/v1/shapes/{name}" }
    };
  }
  rpc UpdateShape(UpdateShapeRequest) returns (Shape) {
    option deprecated = true;
    option (google.api.http) = { patch: "/v1/{shape.name=shapes/*}:update" body: "shape" };
  }
  rpc GetFile(GetFileRequest) returns (google.api.HttpBody) {
    option (google.api.http) = { get: "/v1/files/{path=**}" };
  }
  rpc Upload(google.api.HttpBody) returns (Shape) {
    option (google.api.http) = { post: "/v1/upload" body: "*" };
  }
  rpc Watch(GetShapeRequest) returns (stream Shape) {
    option (google.api.http) = { get: "/v1/shapes/{name}:watch" };
  }
  rpc Purge(GetFileRequest) returns (Shape) {
    option (google.api.http) = { custom: { kind: "PURGE" path: "/v1/cache/{path}" } };
  }
  rpc Collect(stream Shape) returns (Shape) {
    option (google.api.http) = { post: "/v1/shapes:collect" body: "*" };
  }
}

enum Color { COLOR_UNSPECIFIED = 0; RED = 1; }

message Shape {
  // The resource name.
  string name = 1 [(google.api.field_behavior) = IDENTIFIER];
  int64 big = 2 [(google.api.field_behavior) = REQUIRED];
  uint64 ubig = 3;
  bytes blob = 4;
  Color color = 5;
  google.protobuf.Timestamp create_time = 6 [(google.api.field_behavior) = OUTPUT_ONLY];
  google.protobuf.Duration ttl = 7;
  google.protobuf.FieldMask mask = 8;
  google.protobuf.Int64Value maybe = 9;
  google.protobuf.Struct meta = 10;
  google.protobuf.Value value = 11;
  google.protobuf.ListValue list = 12;
  google.protobuf.Any extra = 13;
  map<string, int32> counts = 14;
  map<int32, Shape> children = 15;
  Shape parent = 16;
  oneof kind { string circle = 17; string square = 18; }
  string secret = 19 [(google.api.field_behavior) = INPUT_ONLY];
  string old = 20 [deprecated = true];
  repeated string tags = 21;
  double ratio = 22;
}

message Filter { string author = 1; Color color = 2; Filter next = 3; }

message GetShapeRequest {
  string name = 1;
  Filter filter = 2;
  repeated int64 ids = 3;
  map<string, string> labels = 4;
  google.protobuf.Timestamp since = 5;
}
message UpdateShapeRequest { Shape shape = 1; google.protobuf.FieldMask update_mask = 2; }
message GetFileRequest { string path = 1; }
`;

describe("what each proto construct becomes", () => {
  let gen: InlineGeneration;
  let doc: Doc;
  before(async () => {
    gen = await generateInline({ "shapes/v1/shapes.proto": shapes }, ["openapi=only"], {
      gatewayOnly: true,
    });
    assert.equal(gen.code, 0, gen.stderr);
    doc = JSON.parse(await readFile(join(gen.outDir, "shapes/v1/shapes.openapi.json"), "utf8"));
  });
  after(() => gen?.cleanup());

  test("validates, and openapi=only writes no TypeScript", async () => {
    await assertValid(doc, "shapes");
    const written = await readdir(gen.outDir, { recursive: true });
    assert.deepEqual(
      written.filter((f) => f.endsWith(".ts")),
      [],
    );
  });

  const schema = (name: string) => doc.components.schemas[name];
  const prop = (name: string) => schema("shapes.v1.Shape").properties[name];
  const op = (path: string, method: string) => doc.paths[path]?.[method];
  const cases: Array<[string, () => unknown, unknown]> = [
    [
      "multi-segment variable spelled out",
      () => Object.keys(doc.paths).includes("/v1/projects/{project}/shapes/{shape}"),
      true,
    ],
    [
      "additional binding is its own operation",
      () => op("/v1/shapes/{name}", "get").operationId,
      "ShapeService_GetShape_2",
    ],
    [
      "summary and description from the comment",
      () => [op("/v1/shapes/{name}", "get").summary, op("/v1/shapes/{name}", "get").description],
      ["Gets a shape.", "More about getting."],
    ],
    [
      "custom verb, deprecated method",
      () => op("/v1/shapes/{shape}:update", "patch").deprecated,
      true,
    ],
    [
      "** is one multi-segment parameter",
      () => op("/v1/files/{path}", "get").parameters[0]["x-multi-segment"],
      true,
    ],
    [
      "HttpBody response is any media type",
      () => Object.keys(op("/v1/files/{path}", "get").responses["2XX"].content),
      ["*/*"],
    ],
    [
      "HttpBody request is any media type",
      () => Object.keys(op("/v1/upload", "post").requestBody.content),
      ["*/*"],
    ],
    [
      "nested, repeated, map and WKT query parameters",
      () => op("/v1/shapes/{name}", "get").parameters.map((p: Doc) => p.name),
      ["name", "filter.author", "filter.color", "ids", "labels", "since"],
    ],
    [
      "repeated query parameter explodes",
      () => op("/v1/shapes/{name}", "get").parameters[3].explode,
      true,
    ],
    [
      "map query parameter is a deepObject",
      () => op("/v1/shapes/{name}", "get").parameters[4].style,
      "deepObject",
    ],
    [
      "server streaming: NDJSON lines and SSE",
      () => Object.keys(op("/v1/shapes/{name}:watch", "get").responses["2XX"].content),
      ["application/json", "text/event-stream"],
    ],
    [
      "streaming routes note the WebSocket",
      () => op("/v1/shapes/{name}:watch", "get")["x-websocket"],
      true,
    ],
    [
      "client streaming body is NDJSON",
      () => Object.keys(op("/v1/shapes:collect", "post").requestBody.content),
      [
        "application/x-ndjson",
        "application/json",
        "application/x-www-form-urlencoded",
        "multipart/form-data",
      ],
    ],
    [
      "gateway errors and the default",
      () => Object.keys(op("/v1/shapes:collect", "post").responses).sort(),
      ["2XX", "400", "413", "415", "503", "504", "default"],
    ],
    [
      "a method OpenAPI has no key for goes under x-custom-methods",
      () => doc.paths["/v1/cache/{path}"]["x-custom-methods"].PURGE.operationId,
      "ShapeService_Purge",
    ],
    ["int64 is a string", () => [prop("big").type, prop("big").format], ["string", "int64"]],
    ["uint64 is a string", () => prop("ubig").format, "uint64"],
    ["bytes are base64", () => prop("blob").contentEncoding, "base64"],
    [
      "enum by name or number",
      () => schema("shapes.v1.Color").anyOf,
      [
        { type: "string", enum: ["COLOR_UNSPECIFIED", "RED"] },
        { type: "integer", enum: [0, 1] },
      ],
    ],
    ["Timestamp is date-time", () => prop("createTime").format, "date-time"],
    ["Duration is a string with s", () => prop("ttl").pattern, "^-?[0-9]+(\\.[0-9]{1,9})?s$"],
    ["FieldMask is a string", () => prop("mask").type, "string"],
    ["wrappers are nullable", () => prop("maybe").anyOf[1], { type: "null" }],
    ["Struct is an object", () => prop("meta").type, "object"],
    ["ListValue is an array", () => prop("list").type, "array"],
    ["Any has @type", () => prop("extra").required, ["@type"]],
    [
      "maps are additionalProperties",
      () => prop("counts").additionalProperties,
      { type: "integer", format: "int32" },
    ],
    [
      "recursive messages by $ref",
      () => prop("parent").$ref,
      "#/components/schemas/shapes.v1.Shape",
    ],
    [
      "map keys of ints are numeric strings",
      () => prop("children").propertyNames,
      { pattern: "^-?[0-9]+$" },
    ],
    ["oneof: at most one member", () => schema("shapes.v1.Shape").oneOf.length, 3],
    ["REQUIRED → required", () => schema("shapes.v1.Shape").required, ["big"]],
    ["OUTPUT_ONLY → readOnly", () => prop("createTime").readOnly, true],
    ["INPUT_ONLY → writeOnly", () => prop("secret").writeOnly, true],
    ["deprecated field", () => prop("old").deprecated, true],
    ["field comment → description", () => prop("name").description, "The resource name."],
    ["JSON names by default", () => "createTime" in schema("shapes.v1.Shape").properties, true],
    [
      "doubles allow NaN and Infinity",
      () => prop("ratio").anyOf[1].enum,
      ["NaN", "Infinity", "-Infinity"],
    ],
  ];
  for (const [name, actual, expected] of cases) {
    test(name, () => assert.deepEqual(actual(), expected));
  }
});

describe("options", () => {
  // One directory: buf runs a plugin once per directory unless buf.gen.yaml says
  // `strategy: all`, and a merged document can only hold what one run sees.
  const proto = {
    "api/a.proto": `syntax = "proto3"; package a.v1; import "google/api/annotations.proto";
service A { rpc Get(M) returns (M) { option (google.api.http) = { get: "/v1/a/{page_size}" }; } }
message M { int32 page_size = 1; string page_token = 2; }`,
    "api/b.proto": `syntax = "proto3"; package b.v1; import "google/api/annotations.proto";
service B { rpc Get(N) returns (N) { option (google.api.http) = { get: "/v1/b" }; } }
message N { string x = 1; }`,
  };
  const cases: Array<{
    name: string;
    options: string[];
    config?: string;
    files?: string[];
    check?: (read: (f: string) => Promise<Doc>, outDir: string) => Promise<void>;
    error?: RegExp;
  }> = [
    {
      name: "one document per file, JSON names",
      options: ["openapi=only"],
      files: ["api/a.openapi.json", "api/b.openapi.json"],
      check: async (read) => {
        const a = await read("api/a.openapi.json");
        assert.deepEqual(Object.keys(a.components.schemas["a.v1.M"].properties), [
          "pageSize",
          "pageToken",
        ]);
      },
    },
    {
      name: "merged, YAML, proto names, configuration",
      options: [
        "openapi=only",
        "openapi_merge=api",
        "openapi_format=yaml",
        "openapi_use_proto_field_name=true",
      ],
      config:
        "info: { title: My API, version: 1.2.3 }\nservers: [{ url: 'https://api.example.com' }]\nsecuritySchemes: { bearer: { type: http, scheme: bearer } }\nsecurity: [{ bearer: [] }]\n",
      files: ["api.openapi.yaml"],
      check: async (read, outDir) => {
        const d = await read("api.openapi.yaml");
        const text = await readFile(join(outDir, "api.openapi.yaml"), "utf8");
        assert.match(
          text,
          /^# @generated by protoc-gen-ts-gateway v[\d.]+ with parameter ".*openapi_merge=api.*"\n# @generated from file api\/a\.proto\n# @generated from file api\/b\.proto\n/,
        );
        await assertValid(d, "merged");
        assert.deepEqual(Object.keys(d.paths).sort(), ["/v1/a/{page_size}", "/v1/b"]);
        assert.deepEqual(d.info, { title: "My API", version: "1.2.3" });
        assert.equal(d.servers[0].url, "https://api.example.com");
        assert.equal(d.components.securitySchemes.bearer.scheme, "bearer");
        assert.deepEqual(Object.keys(d.components.schemas["a.v1.M"].properties), [
          "page_size",
          "page_token",
        ]);
      },
    },
    {
      name: "bad configuration key",
      options: ["openapi=only"],
      config: "info: {}\nbogus: 1\n",
      error: /openapi_configuration .*: 2:1: unknown key "bogus"/,
    },
  ];
  for (const c of cases) {
    test(c.name, async () => {
      let options = c.options;
      const dir =
        c.config === undefined ? undefined : await mkdtemp(join(tmpdir(), "ts-gateway-openapi-"));
      if (dir !== undefined) {
        await writeFile(join(dir, "openapi.yaml"), c.config!);
        options = [...options, `openapi_configuration=${join(dir, "openapi.yaml")}`];
      }
      const gen = await generateInline(proto, options, { gatewayOnly: true });
      try {
        if (c.error) {
          assert.notEqual(gen.code, 0);
          assert.match(gen.stderr, c.error);
          return;
        }
        assert.equal(gen.code, 0, gen.stderr);
        const written = (await readdir(gen.outDir, { recursive: true })).filter((f) =>
          f.includes("."),
        );
        assert.deepEqual(written.sort(), c.files);
        await c.check?.(async (f) => {
          const text = await readFile(join(gen.outDir, f), "utf8");
          return f.endsWith(".yaml") ? parseYaml(text) : JSON.parse(text);
        }, gen.outDir);
      } finally {
        await gen.cleanup();
        if (dir !== undefined) await rm(dir, { recursive: true });
      }
    });
  }

  // Option errors come before any descriptor is read: the plugin's own entry
  // point is enough (buf prints the same message).
  const optionErrors: Array<[string, RegExp]> = [
    ["openapi=true,openapi_format=xml", /openapi_format takes json or yaml/],
    ["openapi=maybe", /openapi takes true, false or only/],
    ["openapi=true,openapi_title=x", /unknown option "openapi_title"/],
    ["openapi=only,openapi_merge=../x", /openapi_merge needs a file name/],
  ];
  for (const [parameter, error] of optionErrors) {
    test(`rejects ${parameter}`, () => {
      const request = create(CodeGeneratorRequestSchema, { parameter });
      assert.throws(() => protocGenTsGateway.run(request), error);
    });
  }

  test("generation errors name file:line:col", async () => {
    const gen = await generateInline(
      {
        "c/v1/c.proto": `syntax = "proto3"; package c.v1; import "google/api/annotations.proto";
service C {
  rpc Get(M) returns (M) { option (google.api.http) = { get: "/v1/{missing}" }; }
}
message M { string x = 1; }`,
      },
      ["openapi=only"],
      { gatewayOnly: true },
    );
    try {
      assert.notEqual(gen.code, 0);
      assert.match(gen.stderr, /c\/v1\/c\.proto:3:3: c\.v1\.C\.Get: path variable "missing"/);
    } finally {
      await gen.cleanup();
    }
  });
});
