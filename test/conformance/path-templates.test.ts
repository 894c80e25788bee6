// Path templates: nested patterns, `**`, custom verbs, precedence, custom
// methods (HEAD, OPTIONS), enum/nested/64-bit path variables, response_body.
import { after, before, describe, test } from "node:test";
import {
  addTemplates,
  registerTemplates,
  TemplatesClient,
} from "../gen/conformance/v1/templates_gateway.js";
import { Templates } from "../gen/conformance/v1/templates_pb.js";
import { check, type Gateway, type Row, startGateway } from "./gateway-fixture.js";

const rows: Row[] = [
  // Nested patterns and `**`.
  {
    name: "{name=shelves/*/books/*}",
    method: "GET",
    path: "/v1/shelves/1/books/2",
    rpc: "getBook",
    request: { name: "shelves/1/books/2" },
    status: 200,
  },
  {
    name: "{name=shelves/*/books/*}: a wrong literal is not a match",
    method: "GET",
    path: "/v1/shelves/1/bookz/2",
    status: 404,
  },
  {
    name: "{book.name=shelves/*/books/*}:publish with body *",
    method: "POST",
    path: "/v1/shelves/1/books/2:publish",
    json: { note: "now", book: { title: "Dune" } },
    rpc: "publishBook",
    request: { book: { name: "shelves/1/books/2", title: "Dune" }, note: "now" },
    status: 200,
  },
  {
    name: "{name=**} captures several segments",
    method: "GET",
    path: "/v1/files/a/b/c.txt",
    rpc: "getFile",
    request: { name: "a/b/c.txt" },
    status: 200,
  },
  {
    name: "{name=**} captures zero segments",
    method: "GET",
    path: "/v1/files",
    rpc: "getFile",
    request: {},
    status: 200,
  },
  {
    name: "{name=objects/**}:download",
    method: "GET",
    path: "/v1/objects/x/y:download",
    rpc: "downloadObject",
    request: { name: "objects/x/y" },
    status: 200,
  },
  // Custom verbs.
  {
    name: "plain route",
    method: "GET",
    path: "/v1/items/42",
    rpc: "getItem",
    request: { id: "42" },
    status: 200,
  },
  {
    name: "the same path with :archive is the verb route",
    method: "GET",
    path: "/v1/items/42:archive",
    rpc: "archiveItem",
    request: { id: "42" },
    status: 200,
  },
  {
    name: "a colon no verb route claims stays in the variable",
    method: "GET",
    path: "/v1/items/a:b",
    rpc: "getItem",
    request: { id: "a:b" },
    status: 200,
  },
  {
    name: "an encoded colon is data, not a verb",
    method: "GET",
    path: "/v1/items/42%3Aarchive",
    rpc: "getItem",
    request: { id: "42:archive" },
    status: 200,
  },
  // Precedence: literal > * > **, whatever the declaration order.
  {
    name: "literal beats *",
    method: "GET",
    path: "/v2/shelves/special",
    rpc: "getSpecialShelf",
    status: 200,
  },
  {
    name: "* beats **",
    method: "GET",
    path: "/v2/shelves/7",
    rpc: "getShelf",
    request: { id: "7" },
    status: 200,
  },
  {
    name: "** takes what is longer",
    method: "GET",
    path: "/v2/shelves/7/books/8",
    rpc: "getShelfPath",
    request: { name: "shelves/7/books/8" },
    status: 200,
  },
  {
    name: "unbound * segment",
    method: "GET",
    path: "/v2/any/x/books/8",
    rpc: "getAnyShelfBooks",
    request: { id: "8" },
    status: 200,
  },
  // Percent-decoding (default "spec" mode).
  {
    name: "single-segment variable: fully decoded",
    method: "GET",
    path: "/v1/items/a%2Fb%20c%25",
    rpc: "getItem",
    request: { id: "a/b c%" },
    status: 200,
  },
  {
    name: "multi-segment variable: %2F stays encoded",
    method: "GET",
    path: "/v1/files/dir%2Fname/a%3Ab%20c",
    rpc: "getFile",
    request: { name: "dir%2Fname/a%3Ab c" },
    status: 200,
  },
  {
    name: "malformed escape: 400",
    method: "GET",
    path: "/v1/items/a%zz",
    status: 400,
  },
  // Variable types.
  {
    name: "enum path variable by name",
    method: "GET",
    path: "/v1/colors/COLOR_GREEN",
    rpc: "getColor",
    request: { color: "COLOR_GREEN" },
    status: 200,
  },
  {
    name: "enum path variable by number",
    method: "GET",
    path: "/v1/colors/1",
    rpc: "getColor",
    request: { color: "COLOR_RED" },
    status: 200,
  },
  {
    name: "enum path variable: unknown name is 400 naming the field",
    method: "GET",
    path: "/v1/colors/PURPLE",
    status: 400,
    error: "color",
  },
  {
    name: "nested path variables create the intermediate messages",
    method: "GET",
    path: "/v1/nested/leaf/3?filter=x",
    rpc: "getNested",
    request: { nested: { child: { name: "leaf" }, count: 3 }, filter: "x" },
    status: 200,
  },
  {
    name: "int32 path variable that does not parse: 400",
    method: "GET",
    path: "/v1/nested/leaf/three",
    status: 400,
    error: "nested.count",
  },
  {
    name: "int64 path variable without precision loss",
    method: "GET",
    path: "/v1/big/9007199254740993",
    rpc: "getBig",
    request: { big: "9007199254740993" },
    status: 200,
  },
  // response_body.
  {
    name: "response_body: a scalar field",
    method: "GET",
    path: "/v1/titles/1",
    rpc: "getTitle",
    request: { id: "1" },
    status: 200,
    response: "Dune",
  },
  {
    name: "response_body: a message field",
    method: "GET",
    path: "/v1/authors/1",
    rpc: "getAuthor",
    request: { id: "1" },
    status: 200,
    response: { name: "authors/1", title: "Frank" },
  },
  // Custom methods and 405.
  {
    name: "custom kind HEAD: same method, no body written",
    method: "HEAD",
    path: "/v1/items/42",
    rpc: "getItem",
    request: { id: "42" },
    status: 200,
    responseText: "",
    responseHeaders: { "content-type": "application/json" },
  },
  {
    name: "custom kind OPTIONS",
    method: "OPTIONS",
    path: "/v1/options/9",
    rpc: "options",
    request: { id: "9" },
    status: 200,
  },
  {
    name: "other method on a known path: 405 listing the allowed ones",
    method: "DELETE",
    path: "/v1/items/42",
    status: 405,
    responseHeaders: { allow: "GET, HEAD" },
  },
];

describe("path templates", () => {
  let gateway: Gateway;
  before(async () => {
    gateway = await startGateway([
      {
        service: Templates,
        add: addTemplates,
        Client: TemplatesClient,
        register: registerTemplates,
      },
    ]);
    gateway.responders.set("getTitle", () => ({ title: "Dune" }));
    gateway.responders.set("getAuthor", () => ({
      title: "ignored",
      author: { name: "authors/1", title: "Frank" },
    }));
  });
  after(() => gateway.close());
  for (const row of rows) test(row.name, () => check(gateway, row));
});

describe("path templates: unescape options", () => {
  const modes: Array<{ mode: "all-except-slash" | "all"; request: unknown }> = [
    { mode: "all-except-slash", request: { name: "dir%2Fname/a:b c" } },
    { mode: "all", request: { name: "dir/name/a:b c" } },
  ];
  for (const { mode, request } of modes) {
    test(`unescape: "${mode}"`, async () => {
      const gateway = await startGateway(
        [
          {
            service: Templates,
            add: addTemplates,
            Client: TemplatesClient,
            register: registerTemplates,
          },
        ],
        { mux: { unescape: mode } },
      );
      try {
        await check(gateway, {
          name: mode,
          method: "GET",
          path: "/v1/files/dir%2Fname/a%3Ab%20c",
          rpc: "getFile",
          request: request as never,
          status: 200,
        });
      } finally {
        await gateway.close();
      }
    });
  }
});
