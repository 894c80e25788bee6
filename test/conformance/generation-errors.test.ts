// Generation-time checks: the plugin, run by the real `buf generate` over
// inline protos, fails with `file.proto:line:col: pkg.Service.Method: …`
// (from the descriptor's source info), never with a stack trace.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { generateInline } from "../support/generate-inline.js";

const file = "gen/v1/svc.proto";

function proto(rpcs: string): string {
  return `syntax = "proto3";

package gen.v1;

import "google/api/annotations.proto";

message Req {
  string name = 1;
  repeated string tags = 2;
  Sub sub = 3;
  int32 n = 4;
  map<string, string> labels = 5;
  repeated Sub subs = 6;
}

message Sub {
  string id = 1;
}

message Res {
  string title = 1;
}

service Svc {
${rpcs}
}
`;
}

const rpc = (name: string, rule: string) =>
  `  rpc ${name}(Req) returns (Res) {\n    option (google.api.http) = {${rule}};\n  }`;

interface Case {
  name: string;
  rpcs: string;
  /** The method the message must name (its line is looked up in the proto). */
  method: string;
  error: RegExp;
}

const cases: Case[] = [
  {
    name: "invalid template: unclosed variable",
    rpcs: rpc("Get", `get: "/v1/{name"`),
    method: "Get",
    error: /\/v1\/\{name/,
  },
  {
    name: "invalid template: no leading slash",
    rpcs: rpc("Get", `get: "v1/items"`),
    method: "Get",
    error: /v1\/items/,
  },
  {
    name: "invalid template: a variable after **",
    rpcs: rpc("Get", `get: "/v1/**/{id}"`),
    method: "Get",
    error: /'\*\*' may be followed only by literal segments, not by the variable 'id'/,
  },
  {
    name: "path variable naming a missing field",
    rpcs: rpc("Get", `get: "/v1/{missing}"`),
    method: "Get",
    error: /path variable "missing": gen\.v1\.Req has no field "missing"/,
  },
  {
    name: "nested path variable naming a missing field",
    rpcs: rpc("Get", `get: "/v1/{sub.nope}"`),
    method: "Get",
    error: /gen\.v1\.Sub has no field "nope"/,
  },
  {
    name: "path variable through a scalar",
    rpcs: rpc("Get", `get: "/v1/{name.x}"`),
    method: "Get",
    error: /"name" is not a message field/,
  },
  {
    // A repeated scalar is a separated list (test/plugin/grpc-gateway-flags.test.ts).
    name: "repeated message path variable",
    rpcs: rpc("Get", `get: "/v1/{subs}"`),
    method: "Get",
    error: /"subs".*repeated message field/,
  },
  {
    name: "message path variable",
    rpcs: rpc("Get", `get: "/v1/{sub}"`),
    method: "Get",
    error: /"sub".*message field/,
  },
  {
    name: "map path variable",
    rpcs: rpc("Get", `get: "/v1/{labels}"`),
    method: "Get",
    error: /"labels".*map field/,
  },
  {
    name: "the same field bound twice",
    rpcs: rpc("Get", `get: "/v1/{name}/{name}"`),
    method: "Get",
    error: /name/,
  },
  {
    name: "GET with a body",
    rpcs: rpc("Get", `get: "/v1/items" body: "*"`),
    method: "Get",
    error: /GET route cannot have a body/,
  },
  {
    name: "DELETE with a body",
    rpcs: rpc("Delete", `delete: "/v1/items/{name}" body: "sub"`),
    method: "Delete",
    error: /DELETE route cannot have a body/,
  },
  {
    name: "body naming a missing field",
    rpcs: rpc("Create", `post: "/v1/items" body: "nope"`),
    method: "Create",
    error: /body "nope": gen\.v1\.Req has no field "nope"/,
  },
  {
    name: "body naming a field bound in the path",
    rpcs: rpc("Create", `post: "/v1/items/{name}" body: "name"`),
    method: "Create",
    error: /body "name" is also bound in the path/,
  },
  {
    name: "response_body naming a missing field",
    rpcs: rpc("Get", `get: "/v1/items" response_body: "nope"`),
    method: "Get",
    error: /response_body "nope": gen\.v1\.Res has no field "nope"/,
  },
  {
    name: "duplicate rules in two methods name both",
    rpcs: `${rpc("First", `get: "/v1/items/{name}"`)}\n${rpc("Second", `get: "/v1/items/{sub.id}"`)}`,
    method: "Second",
    error: /Svc\.Second.*Svc\.First/,
  },
  {
    name: "an additional binding equal to its own rule",
    rpcs: rpc("Get", `get: "/v1/items" additional_bindings {get: "/v1/items"}`),
    method: "Get",
    error: /conflicts/,
  },
  {
    name: "nested additional_bindings",
    rpcs: rpc(
      "Get",
      `get: "/v1/a" additional_bindings {get: "/v1/b" additional_bindings {get: "/v1/c"}}`,
    ),
    method: "Get",
    error: /additional_bindings may not be nested/,
  },
  {
    name: "custom kind that is not a method name",
    rpcs: rpc("Get", `custom: {kind: "GE T" path: "/v1/items"}`),
    method: "Get",
    error: /custom HTTP method kind "GE T"/,
  },
  {
    name: "rule without a pattern",
    rpcs: rpc("Get", `body: "*"`),
    method: "Get",
    error: /no pattern/,
  },
];

describe("generation-time checks", { concurrency: 4 }, () => {
  for (const c of cases) {
    test(c.name, async () => {
      const text = proto(c.rpcs);
      const line = text.split("\n").findIndex((l) => l.includes(`rpc ${c.method}(`)) + 1;
      const result = await generateInline({ [file]: text }, [], { gatewayOnly: true });
      try {
        assert.notEqual(result.code, 0, `${c.name}: generation must fail\n${result.stderr}`);
        const prefix = `protoc-gen-ts-gateway: ${file}:${line}:3: gen.v1.Svc.${c.method}: `;
        const message = result.stderr.split("\n").find((l) => l.includes(prefix));
        assert.ok(message !== undefined, `${c.name}: no "${prefix}" line in\n${result.stderr}`);
        assert.match(message, c.error);
        assert.doesNotMatch(result.stderr, /^\s+at /m, "no stack trace");
      } finally {
        await result.cleanup();
      }
    });
  }

  test("every invalid rule of a run is named at once; on_invalid_rule=skip generates the rest", async () => {
    const text = proto(
      [
        rpc("Get", `get: "/v1/{missing}"`),
        rpc("List", `get: "/v1/items" body: "*"`),
        rpc("Put", `put: "/v1/{name=items/*}" body: "*"`),
        rpc("Dup", `put: "/v1/{n=items/*}" body: "*"`),
      ].join("\n"),
    );
    const line = (m: string) => text.split("\n").findIndex((l) => l.includes(`rpc ${m}(`)) + 1;
    const expected = [
      `${file}:${line("Get")}:3: gen.v1.Svc.Get: path variable "missing"`,
      `${file}:${line("List")}:3: gen.v1.Svc.List: a GET route cannot have a body`,
      `${file}:${line("Dup")}:3: gen.v1.Svc.Dup: route "Svc.Dup" conflicts with route "Svc.Put"`,
    ];
    const strict = await generateInline({ [file]: text }, [], { gatewayOnly: true });
    try {
      assert.notEqual(strict.code, 0);
      for (const e of expected) assert.ok(strict.stderr.includes(e), `${e}\n${strict.stderr}`);
      assert.match(strict.stderr, /3 google\.api\.http rules cannot be served/);
    } finally {
      await strict.cleanup();
    }
    const skip = await generateInline({ [file]: text }, ["on_invalid_rule=skip"], {
      gatewayOnly: true,
    });
    try {
      assert.equal(skip.code, 0, skip.stderr);
      for (const e of expected) {
        assert.ok(skip.stderr.includes(`warning: skipped ${e}`), `${e}\n${skip.stderr}`);
      }
    } finally {
      await skip.cleanup();
    }
  });

  test("a valid file generates", async () => {
    const result = await generateInline(
      { [file]: proto(rpc("Get", `get: "/v1/{name=items/*}" response_body: "title"`)) },
      [],
      { gatewayOnly: true },
    );
    try {
      assert.equal(result.code, 0, result.stderr);
    } finally {
      await result.cleanup();
    }
  });
});
