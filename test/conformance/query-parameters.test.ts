// Query parameters, black-box: the query string of a GET route → the request
// message the gRPC backend received. (The parser's exhaustive table is in
// test/unit/query-params.test.ts; here a couple of rows per rule.)

import { after, before, describe, test } from "node:test";
import type { JsonValue } from "@bufbuild/protobuf";
import {
  addQueryEcho,
  QueryEchoClient,
  registerQueryEcho,
} from "../gen/conformance/v1/query_echo_gateway.js";
import { QueryEcho } from "../gen/conformance/v1/query_echo_pb.js";
import { check, type Gateway, type Row, startGateway } from "./gateway-fixture.js";

const ok = (name: string, query: string, request: JsonValue): Row => ({
  name,
  method: "GET",
  path: `/v1/query?${query}`,
  rpc: "query",
  request,
  status: 200,
});
const bad = (name: string, query: string, error: string | RegExp): Row => ({
  name,
  method: "GET",
  path: `/v1/query?${query}`,
  status: 400,
  error,
});

const rows: Row[] = [
  ok("proto name", "page_size=5", { pageSize: 5 }),
  ok("JSON name", "pageSize=5", { pageSize: 5 }),
  ok("custom json_name", "customJson=x", { customJson: "x" }),
  ok("nested message field", "nested.child.name=leaf&nested.count=2", {
    nested: { child: { name: "leaf" }, count: 2 },
  }),
  ok("repeated by repetition", "tags=a&tags=b&ids=1&ids=9007199254740993", {
    tags: ["a", "b"],
    ids: ["1", "9007199254740993"],
  }),
  ok("map entries", "labels[k1]=v1&labels[k2]=v2&counts[3]=4", {
    labels: { k1: "v1", k2: "v2" },
    counts: { 3: "4" },
  }),
  ok("enum by name and by number", "color=COLOR_GREEN&colors=1&colors=COLOR_GREEN", {
    color: "COLOR_GREEN",
    colors: ["COLOR_RED", "COLOR_GREEN"],
  }),
  ok("bool true|false|1|0", "flag=1&wrapped_bool=false", { flag: true, wrappedBool: false }),
  ok("64-bit integers keep their precision", "big=-9223372036854775808&u64=18446744073709551615", {
    big: "-9223372036854775808",
    u64: "18446744073709551615",
  }),
  ok("bytes: standard and URL-safe base64", "data=%2B%2F8%3D&blobs=-_8", {
    data: "+/8=",
    blobs: ["+/8="],
  }),
  ok("Timestamp (RFC 3339) and Duration", "create_time=2024-01-02T03:04:05.5Z&ttl=1.5s", {
    createTime: "2024-01-02T03:04:05.500Z",
    ttl: "1.500s",
  }),
  ok("wrappers", "wrapped_int64=7&wrapped_string=&wrapped_double=1.5", {
    wrappedInt64: "7",
    wrappedString: "",
    wrappedDouble: 1.5,
  }),
  ok("FieldMask, comma separated", "update_mask=display_name,nested.count", {
    updateMask: "displayName,nested.count",
  }),
  ok("Struct and Value as JSON text", `meta=${encodeURIComponent('{"a":[1,"x"]}')}&dyn=true`, {
    meta: { a: [1, "x"] },
    dyn: true,
  }),
  ok("unknown parameters are ignored", "nope=1&name=n", { name: "n" }),
  ok(
    "__proto__ and constructor cannot touch prototypes",
    "__proto__.x=1&constructor=2&nested.constructor=c",
    {
      nested: { constructor: "c" },
    },
  ),
  ok("percent-decoding and + as space", "name=a%20b+c%26", { name: "a b c&" }),
  bad("a second value for a singular field", "name=a&name=b", "name"),
  bad("two members of one oneof", "choice_name=a&choice_id=2", /choice/),
  bad("a value that does not parse", "page_size=ten", "page_size"),
  bad("an enum name that does not exist", "color=PURPLE", "color"),
  bad("a Timestamp that is not RFC 3339", "create_time=yesterday", "create_time"),
  {
    name: "a field bound in the path cannot come from the query",
    method: "GET",
    path: "/v1/query/fromPath?name=fromQuery&page_size=1",
    rpc: "queryNamed",
    request: { name: "fromPath", pageSize: 1 },
    status: 200,
  },
];

describe("query parameters", () => {
  let gateway: Gateway;
  before(async () => {
    gateway = await startGateway([
      {
        service: QueryEcho,
        add: addQueryEcho,
        Client: QueryEchoClient,
        register: registerQueryEcho,
      },
    ]);
  });
  after(() => gateway.close());
  for (const row of rows) test(row.name, () => check(gateway, row));
  test("prototypes are untouched", () => {
    if (({} as Record<string, unknown>).x !== undefined)
      throw new Error("Object.prototype polluted");
  });
});

describe("query parameters: rejectUnknownQueryParameters", () => {
  let gateway: Gateway;
  before(async () => {
    gateway = await startGateway(
      [
        {
          service: QueryEcho,
          add: addQueryEcho,
          Client: QueryEchoClient,
          register: registerQueryEcho,
        },
      ],
      { mux: { rejectUnknownQueryParameters: true } },
    );
  });
  after(() => gateway.close());
  const rejecting: Row[] = [
    bad("an unknown parameter is 400 naming it", "name=n&nope=1", "nope"),
    ok("known parameters still work", "name=n", { name: "n" }),
  ];
  for (const row of rejecting) test(row.name, () => check(gateway, row));
});
