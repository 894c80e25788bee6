import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { compilePathTemplate } from "../../packages/runtime/src/core/path-template.js";
import {
  findConflicts,
  type MatchResult,
  patternKey,
  RouteTable,
  type UnescapeMode,
} from "../../packages/runtime/src/core/route-table.js";
import { prng as random } from "../support/prng.js";

type Route = readonly [method: string, template: string];

/** A table whose values are `"<METHOD> <template>"`. */
function tableOf(routes: readonly Route[], mode?: UnescapeMode): RouteTable<string> {
  const table = new RouteTable<string>(mode === undefined ? {} : { unescape: mode });
  for (const [method, template] of routes) {
    table.add(method, compilePathTemplate(template), `${method} ${template}`);
  }
  return table;
}

/** Expected outcome in a compact form: a route value with params, 405 with Allow, or 404/400. */
type Want =
  | { route: string; params?: Record<string, string> }
  | { allow: string[] }
  | "not-found"
  | "bad-path";

function check(result: MatchResult<string>, want: Want, label: string): void {
  if (want === "not-found" || want === "bad-path") {
    assert.equal(result.kind, want, `${label}: ${JSON.stringify(result)}`);
    return;
  }
  if ("allow" in want) {
    assert.deepEqual(result, { kind: "method-not-allowed", allow: want.allow }, label);
    return;
  }
  assert.equal(result.kind, "match", `${label}: ${JSON.stringify(result)}`);
  if (result.kind !== "match") return;
  assert.equal(result.value, want.route, label);
  assert.deepEqual(Object.fromEntries(result.params), want.params ?? {}, label);
}

function runCases(
  routes: readonly Route[],
  cases: ReadonlyArray<readonly [method: string, path: string, want: Want]>,
  mode?: UnescapeMode,
): void {
  const table = tableOf(routes, mode);
  for (const [method, path, want] of cases) {
    test(`${method} ${path}`, () => check(table.match(method, path), want, `${method} ${path}`));
  }
}

/** Every ordering of `items`. */
function permutations<X>(items: readonly X[]): X[][] {
  if (items.length <= 1) return [items.slice()];
  return items.flatMap((item, i) =>
    permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]),
  );
}

describe("http.proto examples", () => {
  runCases(
    [
      ["GET", "/v1/messages/{message_id}"],
      ["GET", "/v1/users/{user_id}/messages/{message_id}"],
      ["GET", "/v1/{name=shelves/*/books/*}"],
      ["POST", "/v1/{book.name=shelves/*/books/*}:publish"],
      ["GET", "/v1/files/{path=**}"],
      ["GET", "/v1/a/**"],
      ["GET", "/"],
    ],
    [
      // /v1/{name=messages/*} has the same shape as /v1/messages/{message_id}: as both
      // are GET they would conflict (see "conflicts"), so it is tested under its own table below.
      [
        "GET",
        "/v1/messages/123456",
        { route: "GET /v1/messages/{message_id}", params: { message_id: "123456" } },
      ],
      [
        "GET",
        "/v1/users/me/messages/123456",
        {
          route: "GET /v1/users/{user_id}/messages/{message_id}",
          params: { user_id: "me", message_id: "123456" },
        },
      ],
      [
        "GET",
        "/v1/shelves/s1/books/b2",
        { route: "GET /v1/{name=shelves/*/books/*}", params: { name: "shelves/s1/books/b2" } },
      ],
      [
        "POST",
        "/v1/shelves/s1/books/b2:publish",
        {
          route: "POST /v1/{book.name=shelves/*/books/*}:publish",
          params: { "book.name": "shelves/s1/books/b2" },
        },
      ],
      [
        "GET",
        "/v1/files/a/b/c.txt",
        { route: "GET /v1/files/{path=**}", params: { path: "a/b/c.txt" } },
      ],
      ["GET", "/v1/files/x", { route: "GET /v1/files/{path=**}", params: { path: "x" } }],
      // ** matches zero segments.
      ["GET", "/v1/files", { route: "GET /v1/files/{path=**}", params: { path: "" } }],
      ["GET", "/v1/a/b/c", { route: "GET /v1/a/**" }],
      ["GET", "/v1/a", { route: "GET /v1/a/**" }],
      ["GET", "/", { route: "GET /" }],
      ["GET", "/v1/shelves/s1/books", "not-found"],
      ["GET", "/v1/shelves/s1/books/b2/x", "not-found"],
      ["GET", "/v2/messages/1", "not-found"],
      ["DELETE", "/v1/shelves/s1/books/b2:publish", { allow: ["GET", "POST"] }],
    ],
  );
});

describe("http.proto example /v1/{name=messages/*}", () => {
  runCases(
    [["GET", "/v1/{name=messages/*}"]],
    [
      [
        "GET",
        "/v1/messages/123456",
        { route: "GET /v1/{name=messages/*}", params: { name: "messages/123456" } },
      ],
      ["GET", "/v1/messages", "not-found"],
    ],
  );
});

describe("precedence: literal beats * beats **, whatever the registration order", () => {
  const routes: Route[] = [
    ["GET", "/v1/books/special"],
    ["GET", "/v1/books/{id}"],
    ["GET", "/v1/books/{id}/pages"],
    ["GET", "/v1/{x}/special/{y}"],
    ["GET", "/v1/{rest=**}"],
  ];
  const cases: Array<readonly [string, Want]> = [
    ["/v1/books/special", { route: "GET /v1/books/special" }],
    ["/v1/books/42", { route: "GET /v1/books/{id}", params: { id: "42" } }],
    ["/v1/books/42/pages", { route: "GET /v1/books/{id}/pages", params: { id: "42" } }],
    // Literal "special" has no /pages child: backtrack to {id}.
    ["/v1/books/special/pages", { route: "GET /v1/books/{id}/pages", params: { id: "special" } }],
    // Nothing under the literal "books" fits: backtrack to {x}.
    ["/v1/books/special/7", { route: "GET /v1/{x}/special/{y}", params: { x: "books", y: "7" } }],
    ["/v1/other/special/1", { route: "GET /v1/{x}/special/{y}", params: { x: "other", y: "1" } }],
    // Neither literal nor * fits: ** takes the rest.
    ["/v1/books/42/x", { route: "GET /v1/{rest=**}", params: { rest: "books/42/x" } }],
    ["/v1/books", { route: "GET /v1/{rest=**}", params: { rest: "books" } }],
    ["/v1", { route: "GET /v1/{rest=**}", params: { rest: "" } }],
  ];
  const orders = permutations(routes);
  assert.equal(orders.length, 120);
  test(`all ${orders.length} registration orders agree`, () => {
    orders.forEach((order, index) => {
      const table = tableOf(order);
      for (const [path, want] of cases)
        check(table.match("GET", path), want, `order #${index} ${path}`);
    });
  });

  test("* beats ** for one segment, ** takes the rest", () => {
    for (const order of permutations<Route>([
      ["GET", "/{a}"],
      ["GET", "/{b=**}"],
      ["GET", "/x"],
    ])) {
      const table = tableOf(order);
      check(table.match("GET", "/x"), { route: "GET /x" }, "literal");
      check(table.match("GET", "/y"), { route: "GET /{a}", params: { a: "y" } }, "star");
      check(table.match("GET", "/y/z"), { route: "GET /{b=**}", params: { b: "y/z" } }, "deep");
      check(table.match("GET", "/"), { route: "GET /{b=**}", params: { b: "" } }, "root via **");
    }
  });
});

describe("'**' followed by literals, as Envoy matches it", () => {
  const purge = "/v1/{parent=projects/*/dataStores/**}/suggestionDenyListEntries:purge";
  const raw = "/v1/{name=projects/*/schemas/**}/schema";
  const routes: Route[] = [
    ["POST", purge],
    ["GET", raw],
    ["GET", "/v1/{name=projects/*/schemas/**}"],
    ["GET", "/v1/{name=projects/*/schemas/*}/schema"],
    ["GET", "/x/{a=**/b}/c"],
  ];
  const cases: Array<readonly [string, string, Want]> = [
    [
      "POST",
      "/v1/projects/p/dataStores/d/suggestionDenyListEntries:purge",
      { route: `POST ${purge}`, params: { parent: "projects/p/dataStores/d" } },
    ],
    [
      "POST",
      "/v1/projects/p/dataStores/a/b/c/suggestionDenyListEntries:purge",
      { route: `POST ${purge}`, params: { parent: "projects/p/dataStores/a/b/c" } },
    ],
    // '**' before literals takes at least one segment (Envoy's rule).
    ["POST", "/v1/projects/p/dataStores/suggestionDenyListEntries:purge", "not-found"],
    ["POST", "/v1/projects/p/dataStores/d/suggestionDenyListEntries", "not-found"],
    // One segment: the '*' route wins over '**' (literal beats * beats **).
    [
      "GET",
      "/v1/projects/p/schemas/s/schema",
      {
        route: "GET /v1/{name=projects/*/schemas/*}/schema",
        params: { name: "projects/p/schemas/s" },
      },
    ],
    [
      "GET",
      "/v1/projects/p/schemas/s/versions/3/schema",
      { route: `GET ${raw}`, params: { name: "projects/p/schemas/s/versions/3" } },
    ],
    // The shortest '**' whose literals match: a segment named like the literal is taken when needed.
    [
      "GET",
      "/v1/projects/p/schemas/schema/x/schema",
      { route: `GET ${raw}`, params: { name: "projects/p/schemas/schema/x" } },
    ],
    // No trailing literal: the '**' route that ends the template takes it all.
    [
      "GET",
      "/v1/projects/p/schemas/s/versions/3",
      {
        route: "GET /v1/{name=projects/*/schemas/**}",
        params: { name: "projects/p/schemas/s/versions/3" },
      },
    ],
    ["GET", "/x/1/b/c", { route: "GET /x/{a=**/b}/c", params: { a: "1/b" } }],
    ["GET", "/x/1/b/2/b/c", { route: "GET /x/{a=**/b}/c", params: { a: "1/b/2/b" } }],
    ["GET", "/x/b/c", "not-found"],
    ["GET", "/x/1/b/c/d", "not-found"],
    ["DELETE", "/x/1/b/c", { allow: ["GET"] }],
  ];
  const orders = permutations(routes);
  test(`all ${orders.length} registration orders agree`, () => {
    orders.forEach((order, index) => {
      const table = tableOf(order);
      for (const [method, path, want] of cases) {
        check(table.match(method, path), want, `order #${index} ${method} ${path}`);
      }
    });
  });

  test("conflicts are found by shape, as for any pattern", () => {
    const table = tableOf([["GET", "/v1/{a=**}/x:y"]]);
    assert.throws(() => table.add("GET", compilePathTemplate("/v1/**/x:y"), "b"), /conflicts/);
    table.add("GET", compilePathTemplate("/v1/**/x"), "no verb");
    table.add("GET", compilePathTemplate("/v1/**/z:y"), "other literal");
    assert.equal(patternKey(compilePathTemplate("/v1/{a=**}/x:y")), "/v1/**/x:y");
  });
});

describe("property: '**' with literals matches as Envoy's path matcher", () => {
  // A direct transcription of grpc-httpjson-transcoding's PathMatcherNode::LookupPath
  // for one pattern: '**' consumes one or more segments (zero at the end), trying
  // the literal after it at each position, shortest first.
  function envoyMatches(segments: readonly string[], parts: readonly string[]): boolean {
    const go = (k: number, i: number): boolean => {
      if (k === segments.length) return i === parts.length;
      const s = segments[k]!;
      if (s === "**") {
        if (k === segments.length - 1) return true;
        for (let j = i + 1; j < parts.length; j++) if (go(k + 1, j)) return true;
        return false;
      }
      if (i === parts.length) return false;
      return (s === "*" || s === parts[i]) && go(k + 1, i + 1);
    };
    return go(0, 0);
  }
  const words = ["a", "b", "c"];
  test("2000 random templates and paths", () => {
    const next = random(0x2a);
    const pick = <X>(xs: readonly X[]): X => xs[Math.floor(next() * xs.length)]!;
    let matched = 0;
    for (let t = 0; t < 2000; t++) {
      const before = Array.from({ length: Math.floor(next() * 3) }, () => pick([...words, "*"]));
      const after = Array.from({ length: Math.floor(next() * 3) }, () => pick(words));
      const segments = [...before, "**", ...after];
      const template = `/${before.map((s, i) => (s === "*" ? `{v${i}}` : s)).join("/")}${before.length > 0 ? "/" : ""}{deep=${["**", ...after].join("/")}}`;
      const table = tableOf([["GET", template]]);
      for (let p = 0; p < 10; p++) {
        const parts = Array.from({ length: Math.floor(next() * 7) }, () => pick(words));
        const path = `/${parts.join("/")}`;
        const result = table.match("GET", parts.length === 0 ? "/" : path);
        const want = envoyMatches(segments, parts);
        assert.equal(result.kind === "match", want, `${template} ${path}`);
        if (result.kind !== "match") continue;
        matched++;
        // The '**' variable holds the segments between the fixed ones.
        const deep = parts.slice(before.length, parts.length - after.length).join("/");
        assert.equal(
          Object.fromEntries(result.params).deep,
          [deep, ...after].filter(Boolean).join("/"),
          `${template} ${path}`,
        );
      }
    }
    assert.ok(matched > 500, `only ${matched} matches`);
  });
});

describe("custom verbs and colons", () => {
  runCases(
    [
      ["GET", "/v1/books/{id}"],
      ["POST", "/v1/books/{id}:archive"],
      ["POST", "/v1/books/{id}"],
      ["POST", "/v1/books:batchGet"],
      ["POST", "/v1/{name=**}:undelete"],
      ["GET", "/v1/tags/{tag}"],
    ],
    [
      [
        "POST",
        "/v1/books/42:archive",
        { route: "POST /v1/books/{id}:archive", params: { id: "42" } },
      ],
      ["POST", "/v1/books/42", { route: "POST /v1/books/{id}", params: { id: "42" } }],
      // Not a known verb: the whole last segment is captured.
      ["POST", "/v1/books/a:b", { route: "POST /v1/books/{id}", params: { id: "a:b" } }],
      ["GET", "/v1/books/a:b", { route: "GET /v1/books/{id}", params: { id: "a:b" } }],
      // GET has no verb routes: ':archive' is part of the id.
      [
        "GET",
        "/v1/books/42:archive",
        { route: "GET /v1/books/{id}", params: { id: "42:archive" } },
      ],
      // The verb is after the LAST colon.
      [
        "POST",
        "/v1/books/a:b:archive",
        { route: "POST /v1/books/{id}:archive", params: { id: "a:b" } },
      ],
      ["POST", "/v1/books:batchGet", { route: "POST /v1/books:batchGet" }],
      // A verb route never matches without its verb, and an escaped colon is not a verb separator.
      ["POST", "/v1/books", "not-found"],
      [
        "POST",
        "/v1/books/42%3Aarchive",
        { route: "POST /v1/books/{id}", params: { id: "42:archive" } },
      ],
      // Empty verb or empty prefix: no verb split.
      ["POST", "/v1/books/42:", { route: "POST /v1/books/{id}", params: { id: "42:" } }],
      ["POST", "/v1/books/:archive", { route: "POST /v1/books/{id}", params: { id: ":archive" } }],
      [
        "POST",
        "/v1/shelves/1/books/2:undelete",
        { route: "POST /v1/{name=**}:undelete", params: { name: "shelves/1/books/2" } },
      ],
      ["POST", "/v1:undelete", { route: "POST /v1/{name=**}:undelete", params: { name: "" } }],
      // Verb routes of other methods make a 405.
      ["DELETE", "/v1/books/42:archive", { allow: ["GET", "POST"] }],
      ["GET", "/v1/tags/x:y", { route: "GET /v1/tags/{tag}", params: { tag: "x:y" } }],
      // A percent-encoded verb is decoded before comparison.
      [
        "POST",
        "/v1/books/42:arch%69ve",
        { route: "POST /v1/books/{id}:archive", params: { id: "42" } },
      ],
    ],
  );
});

describe("percent-decoding", () => {
  const routes: Route[] = [
    ["GET", "/v1/single/{id}"],
    ["GET", "/v1/multi/{name=shelves/*}"],
    ["GET", "/v1/deep/{path=**}"],
    ["GET", "/v1/caf%C3%A9"],
  ];
  type Row = readonly [path: string, spec: string, allExceptSlash: string, all: string];
  const rows: Row[] = [
    // A single segment is always fully decoded, %2F included.
    ["/v1/single/a%2Fb", "a/b", "a/b", "a/b"],
    ["/v1/single/a%20b%3A%40%25", "a b:@%", "a b:@%", "a b:@%"],
    ["/v1/single/caf%c3%a9", "café", "café", "café"],
    // Multi-segment: spec keeps reserved (and %) encoded, all-except-slash keeps %2F and %25.
    ["/v1/multi/shelves/a%2Fb", "shelves/a%2Fb", "shelves/a%2Fb", "shelves/a/b"],
    ["/v1/multi/shelves/a%2fb", "shelves/a%2fb", "shelves/a%2fb", "shelves/a/b"],
    ["/v1/multi/shelves/a%20b%3A%40", "shelves/a b%3A%40", "shelves/a b:@", "shelves/a b:@"],
    ["/v1/multi/shelves/%41%7E%2D", "shelves/A~-", "shelves/A~-", "shelves/A~-"],
    ["/v1/multi/shelves/50%25", "shelves/50%25", "shelves/50%25", "shelves/50%"],
    ["/v1/multi/shelves/%E2%82%AC%2B", "shelves/€%2B", "shelves/€+", "shelves/€+"],
    ["/v1/deep/a%2Fb/c", "a%2Fb/c", "a%2Fb/c", "a/b/c"],
    ["/v1/deep/a/b%3Fc", "a/b%3Fc", "a/b?c", "a/b?c"],
    // Raw (unencoded) characters pass through unchanged.
    ["/v1/deep/a:b@c", "a:b@c", "a:b@c", "a:b@c"],
  ];
  const modes: UnescapeMode[] = ["spec", "all-except-slash", "all"];
  modes.forEach((mode, column) => {
    describe(`mode ${mode}`, () => {
      const table = tableOf(routes, mode);
      for (const row of rows) {
        test(row[0], () => {
          const result = table.match("GET", row[0]);
          assert.equal(result.kind, "match", JSON.stringify(result));
          if (result.kind === "match") assert.equal(result.params[0]?.[1], row[column + 1]);
        });
      }
    });
  });

  describe("literals compare decoded", () => {
    runCases(routes, [
      ["GET", "/%76%31/single/x", { route: "GET /v1/single/{id}", params: { id: "x" } }],
      ["GET", "/v1/caf%C3%A9", { route: "GET /v1/caf%C3%A9" }],
      ["GET", "/v1/caf%c3%a9", { route: "GET /v1/caf%C3%A9" }],
      ["GET", "/v1/café", { route: "GET /v1/caf%C3%A9" }],
      // %2F never splits a segment.
      ["GET", "/v1%2Fsingle/x", "not-found"],
      ["GET", "/v1/multi/shelves%2Fx", "not-found"],
    ]);
  });

  describe("malformed paths are bad-path (never thrown)", () => {
    runCases(routes, [
      ["GET", "/v1/single/%zz", "bad-path"],
      ["GET", "/v1/single/%4", "bad-path"],
      ["GET", "/v1/single/abc%", "bad-path"],
      ["GET", "/v1/single/%ff", "bad-path"],
      ["GET", "/v1/single/%C3", "bad-path"],
      ["GET", "/v1/single/%ED%A0%80", "bad-path"], // UTF-8 encoded surrogate
      ["GET", "/v1/single/%C0%AF", "bad-path"], // overlong '/'
      ["GET", "/v1/deep/ok/%E2%2F%82", "bad-path"],
      // Checked even where no route would match.
      ["GET", "/nowhere/%zz", "bad-path"],
      ["GET", "", "bad-path"],
      ["GET", "v1/single/x", "bad-path"],
      ["GET", "*", "bad-path"],
    ]);
    test("message names the bad escape", () => {
      const result = new RouteTable().match("GET", "/a/%zz");
      assert.deepEqual(result, {
        kind: "bad-path",
        message: 'malformed percent-encoding "%zz" in path',
      });
    });
  });
});

describe("empty segments and trailing slashes", () => {
  runCases(
    [
      ["GET", "/v1/shelves"],
      ["GET", "/v1/shelves/{id}"],
      ["GET", "/v1/files/{path=**}"],
    ],
    [
      ["GET", "/v1/shelves", { route: "GET /v1/shelves" }],
      ["GET", "/v1/shelves/", "not-found"],
      ["GET", "/v1//shelves", "not-found"],
      ["GET", "//v1/shelves", "not-found"],
      ["GET", "/v1/shelves/x/", "not-found"],
      ["GET", "/v1/files/a//b", "not-found"],
      ["GET", "/v1/files/", "not-found"],
      ["GET", "/", "not-found"],
    ],
  );
});

describe("405 method-not-allowed", () => {
  runCases(
    [
      ["GET", "/v1/books/{id}"],
      ["PATCH", "/v1/books/{book.id}"],
      ["DELETE", "/v1/books/{id}"],
      ["POST", "/v1/books"],
      ["GET", "/v1/books"],
      ["PUT", "/v1/{name=books/*}/cover"],
    ],
    [
      ["PUT", "/v1/books/1", { allow: ["DELETE", "GET", "PATCH"] }],
      ["DELETE", "/v1/books", { allow: ["GET", "POST"] }],
      ["GET", "/v1/books/1/cover", { allow: ["PUT"] }],
      ["GET", "/v1/books/1", { route: "GET /v1/books/{id}", params: { id: "1" } }],
      ["get", "/v1/books/1", { allow: ["DELETE", "GET", "PATCH"] }],
      ["PUT", "/v1/nothing", "not-found"],
      ["PUT", "/v1/books/1/", "not-found"],
    ],
  );
});

describe("conflicts", () => {
  const conflicting: Array<readonly [first: string, second: string]> = [
    ["/v1/{a}", "/v1/{b}"],
    ["/v1/{a}", "/v1/*"],
    ["/v1/messages/{message_id}", "/v1/{name=messages/*}"],
    ["/v1/files/{path=**}", "/v1/files/**"],
    ["/v1/{a}:run", "/v1/{b=*}:run"],
    ["/v1/%61", "/v1/a"],
    ["/", "/"],
  ];
  for (const [first, second] of conflicting) {
    test(`${first} vs ${second}`, () => {
      const table = new RouteTable<number>();
      table.add("GET", compilePathTemplate(first), 1, "First");
      assert.throws(
        () => table.add("GET", compilePathTemplate(second), 2, "Second"),
        (error: unknown) =>
          error instanceof Error &&
          error.message.includes('"First"') &&
          error.message.includes('"Second"'),
      );
      assert.equal(table.size, 1);
      const found = findConflicts([
        { method: "GET", pattern: compilePathTemplate(first), name: "First" },
        { method: "GET", pattern: compilePathTemplate(second), name: "Second" },
      ]);
      assert.equal(found.length, 1);
      assert.deepEqual(
        [found[0]?.first, found[0]?.second, found[0]?.method],
        ["First", "Second", "GET"],
      );
      assert.equal(patternKey(compilePathTemplate(first)), patternKey(compilePathTemplate(second)));
    });
  }

  const distinct: Array<readonly [string, string]> = [
    ["/v1/{a}", "/v1/{a}:run"],
    ["/v1/{a}:run", "/v1/{a}:walk"],
    ["/v1/{a}", "/v1/{a=**}"],
    ["/v1/*", "/v1/%2A"], // wildcard vs literal "*"
    ["/v1/a", "/v1/b"],
    ["/v1/{a}/x", "/v1/x/{a}"],
  ];
  for (const [first, second] of distinct) {
    test(`no conflict: ${first} vs ${second}`, () => {
      const table = tableOf([
        ["GET", first],
        ["GET", second],
      ]);
      assert.equal(table.size, 2);
      const routes = [first, second].map((t) => ({
        method: "GET",
        pattern: compilePathTemplate(t),
      }));
      assert.deepEqual(findConflicts(routes), []);
    });
  }

  test("same pattern under different methods is fine", () => {
    assert.equal(
      tableOf([
        ["GET", "/v1/{a}"],
        ["POST", "/v1/{b}"],
      ]).size,
      2,
    );
  });

  test("default route names are method and template", () => {
    const table = tableOf([["GET", "/v1/{a}"]]);
    assert.throws(
      () => table.add("GET", compilePathTemplate("/v1/{b}"), "x"),
      /"GET \/v1\/\{b\}".*"GET \/v1\/\{a\}"/,
    );
  });

  test("malformed hand-made patterns are rejected", () => {
    const table = new RouteTable();
    assert.throws(
      () =>
        table.add(
          "GET",
          {
            template: "/x",
            segments: [{ kind: "deep" }, { kind: "wildcard" }],
            variables: [],
          },
          1,
        ),
      /only literals may follow '\*\*'/,
    );
    assert.throws(
      () =>
        table.add(
          "GET",
          {
            template: "/x",
            segments: [{ kind: "wildcard" }],
            variables: [{ fieldPath: "a", start: 0, end: 2 }],
          },
          1,
        ),
      /bad range/,
    );
  });

  test("unknown unescape mode is a configuration error", () => {
    assert.throws(
      () => new RouteTable({ unescape: "some" as UnescapeMode }),
      /unknown unescape mode/,
    );
  });
});

describe("structure", () => {
  test("JSON round-tripped patterns (as printed by the plugin) match the same", () => {
    const templates = [
      "/v1/{book.name=shelves/*/books/*}:publish",
      "/v1/files/{path=**}",
      "/v1/books/{id}",
    ];
    const direct = tableOf(templates.map((t) => ["POST", t] as const));
    const printed = new RouteTable<string>();
    for (const t of templates)
      printed.add("POST", JSON.parse(JSON.stringify(compilePathTemplate(t))), `POST ${t}`);
    for (const path of [
      "/v1/shelves/1/books/2:publish",
      "/v1/files/a/b",
      "/v1/books/x",
      "/v1/none",
    ]) {
      assert.deepEqual(printed.match("POST", path), direct.match("POST", path));
    }
  });

  test("results do not depend on how many unrelated routes there are", () => {
    const base: Route[] = [
      ["GET", "/v1/books/{id}"],
      ["GET", "/v1/{name=shelves/*/books/*}"],
      ["POST", "/v1/books/{id}:archive"],
    ];
    const small = tableOf(base);
    const many: Route[] = [...base];
    for (let i = 0; i < 1000; i++) many.push([i % 2 ? "GET" : "POST", `/v1/r${i}/{x}/items/{y}`]);
    const big = tableOf(many);
    assert.equal(big.size, 1003);
    for (const [method, path] of [
      ["GET", "/v1/books/1"],
      ["GET", "/v1/shelves/1/books/2"],
      ["POST", "/v1/books/1:archive"],
      ["PUT", "/v1/books/1"],
      ["GET", "/v1/nothing"],
    ] as const) {
      assert.deepEqual(big.match(method, path), small.match(method, path), `${method} ${path}`);
    }
    check(
      big.match("POST", "/v1/r998/a/items/b"),
      { route: "POST /v1/r998/{x}/items/{y}", params: { x: "a", y: "b" } },
      "many",
    );
  });
});

describe("property: match never throws", () => {
  const routes: Route[] = [
    ["GET", "/"],
    ["GET", "/v1/books/{id}"],
    ["POST", "/v1/books/{id}:archive"],
    ["GET", "/v1/{name=shelves/*/books/*}"],
    ["GET", "/v1/files/{path=**}"],
    ["GET", "/v1/a/**:verb"],
    ["PUT", "/{x}/{y}/{z=**}"],
    ["GET", "/v1/*/x"],
    ["POST", "/v1/{name=books/**}/x/a:verb"],
  ];
  const pieces = [
    "/",
    "/",
    "v1",
    "books",
    "files",
    "a",
    ":",
    ":archive",
    ":verb",
    "%",
    "%2F",
    "%2f",
    "%zz",
    "%E2%82%AC",
    "%C3",
    "%",
    "é",
    "\u0000",
    "\ud800",
    " ",
    "?",
    "#",
    "shelves",
    "x",
  ];
  const methods = ["GET", "POST", "PUT", "DELETE", "", "get"];
  for (const mode of ["spec", "all-except-slash", "all"] as const) {
    test(`4000 random paths, mode ${mode}`, () => {
      const table = tableOf(routes, mode);
      const next = random(mode.length);
      const kinds = new Set<string>();
      for (let i = 0; i < 4000; i++) {
        let path = next() < 0.95 ? "/" : "";
        const length = Math.floor(next() * 10);
        for (let j = 0; j < length; j++) path += pieces[Math.floor(next() * pieces.length)];
        const method = methods[Math.floor(next() * methods.length)]!;
        const result = table.match(method, path);
        kinds.add(result.kind);
        if (result.kind === "match") {
          for (const [field, value] of result.params) {
            assert.equal(typeof field, "string");
            assert.equal(typeof value, "string");
          }
        } else if (result.kind === "method-not-allowed") {
          assert.ok(result.allow.length > 0 && !result.allow.includes(method));
          assert.deepEqual(result.allow, [...new Set(result.allow)].sort());
        } else if (result.kind === "bad-path") {
          assert.ok(result.message.length > 0);
        }
      }
      assert.deepEqual([...kinds].sort(), ["bad-path", "match", "method-not-allowed", "not-found"]);
    });
  }
});
