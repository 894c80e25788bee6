// Form bodies, black-box: an application/x-www-form-urlencoded or
// multipart/form-data body → the request message a real grpc-js backend
// received. Form keys follow the query-parameter rules (every value kind is a
// row); multipart text parts are form values, file parts go into bytes and
// google.api.HttpBody fields. (Uploads streamed into a client-streaming
// method: test/adversarial/upload-attacks.test.ts and the example's Upload.)

import { after, before, describe, test } from "node:test";
import type { JsonValue } from "@bufbuild/protobuf";
import {
  addFormEcho,
  FormEchoClient,
  registerFormEcho,
} from "../gen/conformance/v1/forms_gateway.js";
import { FormEcho } from "../gen/conformance/v1/forms_pb.js";
import { check, type Gateway, type Row, startGateway } from "./gateway-fixture.js";

const urlencoded = { "content-type": "application/x-www-form-urlencoded" };

const form = (name: string, body: string, request: JsonValue, path = "/v1/form"): Row => ({
  name,
  method: "POST",
  path,
  body,
  headers: urlencoded,
  rpc: path.startsWith("/v1/form-field") ? "formField" : "form",
  request,
  status: 200,
});
const badForm = (name: string, body: string, error: string | RegExp, status = 400): Row => ({
  name,
  method: "POST",
  path: "/v1/form",
  body,
  headers: urlencoded,
  status,
  error,
});

/** A multipart/form-data body of text parts and files, as a browser writes it. */
function multipart(
  parts: ReadonlyArray<
    | { name: string; value: string }
    | { name: string; filename: string; type?: string; data: string }
  >,
  boundary = "----form-boundary-7MA4YWxkTrZu0gW",
): { body: string; headers: Record<string, string> } {
  let body = "";
  for (const part of parts) {
    body += `--${boundary}\r\n`;
    if ("value" in part) {
      body += `Content-Disposition: form-data; name="${part.name}"\r\n\r\n${part.value}\r\n`;
    } else {
      body += `Content-Disposition: form-data; name="${part.name}"; filename="${part.filename}"\r\n`;
      body += `Content-Type: ${part.type ?? "application/octet-stream"}\r\n\r\n${part.data}\r\n`;
    }
  }
  body += `--${boundary}--\r\n`;
  return { body, headers: { "content-type": `multipart/form-data; boundary=${boundary}` } };
}

const parts = (
  name: string,
  path: string,
  body: ReturnType<typeof multipart>,
  expect: { rpc: string; request: JsonValue } | { status: number; error: string | RegExp },
): Row =>
  "rpc" in expect
    ? { name, method: "POST", path, ...body, ...expect, status: 200 }
    : { name, method: "POST", path, ...body, ...expect };

const b64 = (s: string) => Buffer.from(s).toString("base64");

const rows: Row[] = [
  // URL-encoded: the query-parameter rules, key by key.
  form("proto and JSON names", "page_size=5&optName=x", { pageSize: 5, optName: "x" }),
  form("nested message fields", "nested.child.name=leaf&nested.count=2", {
    nested: { child: { name: "leaf" }, count: 2 },
  }),
  form("repeated by repetition", "tags=a&tags=b&ids=1&ids=9007199254740993", {
    tags: ["a", "b"],
    ids: ["1", "9007199254740993"],
  }),
  form("map entries", "labels[k1]=v1&labels[k2]=v2&counts[3]=4", {
    labels: { k1: "v1", k2: "v2" },
    counts: { 3: "4" },
  }),
  form("enums by name and number", "color=COLOR_GREEN&colors=1&colors=COLOR_GREEN", {
    color: "COLOR_GREEN",
    colors: ["COLOR_RED", "COLOR_GREEN"],
  }),
  form("bool, 64-bit integers, bytes", "flag=1&big=-9223372036854775808&data=%2B%2F8%3D", {
    flag: true,
    big: "-9223372036854775808",
    data: "+/8=",
  }),
  form(
    "Timestamp, Duration, FieldMask",
    "create_time=2024-01-02T03:04:05Z&ttl=1.5s&update_mask=a,b.c",
    {
      createTime: "2024-01-02T03:04:05Z",
      ttl: "1.500s",
      updateMask: "a,b.c",
    },
  ),
  form(
    "wrappers and Struct as JSON text",
    `wrapped_int64=7&meta=${encodeURIComponent('{"a":1}')}`,
    {
      wrappedInt64: "7",
      meta: { a: 1 },
    },
  ),
  form("percent-decoding and + as space", "name=a%20b+c%26", { name: "a b c&" }),
  form(
    "the path variable wins over the form",
    "name=fromForm&page_size=1",
    { name: "fromPath", pageSize: 1 },
    "/v1/form/fromPath",
  ),
  form(
    "body: field: keys are the field's own; the query fills the rest",
    "name=inner&count=3",
    { name: "outer", nested: { name: "inner", count: 3 } },
    "/v1/form-field?name=outer",
  ),
  form("an empty form is an empty message", "", {}),
  badForm(
    "a second value for a singular field names the form field",
    "name=a&name=b",
    /form field "name"/,
  ),
  badForm("a value that does not parse", "page_size=ten", "page_size"),
  badForm("an enum name that does not exist", "color=PURPLE", "color"),
  badForm("a malformed escape", "name=%zz", "percent-encoding"),
  {
    name: "a rule without a body refuses a form with 415",
    method: "POST",
    path: "/v1/form-nobody",
    body: "name=x",
    headers: urlencoded,
    status: 415,
    error: "has no body",
  },
  {
    name: "a form larger than maxRequestBytes is 413",
    method: "POST",
    path: "/v1/form",
    body: `name=${"x".repeat(70_000)}`,
    headers: urlencoded,
    status: 413,
  },
  // Multipart: text parts are form values, files go into bytes / HttpBody fields.
  parts(
    "text parts by the form rules",
    "/v1/form",
    multipart([
      { name: "name", value: "n" },
      { name: "tags", value: "a" },
      { name: "tags", value: "b" },
      { name: "labels[k]", value: "v" },
      { name: "nested.count", value: "2" },
    ]),
    {
      rpc: "form",
      request: { name: "n", tags: ["a", "b"], labels: { k: "v" }, nested: { count: 2 } },
    },
  ),
  parts(
    "a file into bytes, a file into HttpBody with its content type",
    "/v1/attach",
    multipart([
      { name: "title", value: "report" },
      { name: "blob", filename: "a.bin", data: "raw\u0001bytes" },
      { name: "doc", filename: "r.csv", type: "text/csv", data: "a,b\r\n1,2" },
    ]),
    {
      rpc: "attach",
      request: {
        title: "report",
        blob: b64("raw\u0001bytes"),
        doc: { contentType: "text/csv", data: b64("a,b\r\n1,2") },
      },
    },
  ),
  parts(
    "a filename with ../ is only a name: the file still maps by its part name",
    "/v1/attach",
    multipart([{ name: "blob", filename: "../../etc/passwd", data: "x" }]),
    { rpc: "attach", request: { blob: b64("x") } },
  ),
  parts(
    "a file part naming no bytes or HttpBody field is 400",
    "/v1/attach",
    multipart([{ name: "title", filename: "t.txt", data: "x" }]),
    { status: 400, error: "neither bytes nor google.api.HttpBody" },
  ),
  parts(
    "a file part naming no field is 400",
    "/v1/attach",
    multipart([{ name: "nope", filename: "t.txt", data: "x" }]),
    { status: 400, error: "nope" },
  ),
  parts(
    "files over maxRequestBytes are 413",
    "/v1/attach",
    multipart([{ name: "blob", filename: "big.bin", data: "x".repeat(70_000) }]),
    { status: 413, error: "larger than" },
  ),
  parts(
    "a nested multipart part is 400",
    "/v1/attach",
    multipart([
      { name: "blob", filename: "n", type: "multipart/mixed; boundary=x", data: "--x--" },
    ]),
    { status: 400, error: "nested multipart" },
  ),
  {
    name: "a multipart body without a boundary is 400",
    method: "POST",
    path: "/v1/attach",
    body: "x",
    headers: { "content-type": "multipart/form-data" },
    status: 400,
    error: "oundary",
  },
  {
    name: "a truncated multipart body is 400",
    method: "POST",
    path: "/v1/attach",
    body: multipart([{ name: "title", value: "t" }]).body.slice(0, -30),
    headers: multipart([]).headers,
    status: 400,
    error: "malformed multipart",
  },
  parts(
    "more files than maxFiles are 413",
    "/v1/attach",
    multipart([
      { name: "blob", filename: "1", data: "1" },
      { name: "blob", filename: "2", data: "2" },
      { name: "blob", filename: "3", data: "3" },
    ]),
    { status: 413, error: "more than 2 files" },
  ),
  parts(
    "more text parts than maxFields are 413",
    "/v1/attach",
    multipart(Array.from({ length: 7 }, () => ({ name: "tags", value: "t" }))),
    { status: 413, error: "more than 6 form fields" },
  ),
];

describe("form bodies", () => {
  let gateway: Gateway;
  before(async () => {
    gateway = await startGateway(
      [{ service: FormEcho, add: addFormEcho, Client: FormEchoClient, register: registerFormEcho }],
      { mux: { maxRequestBytes: 65_536, multipart: { maxFiles: 2, maxFields: 6 } } },
    );
    gateway.responders.set("attach", (_rpc, request) => request);
  });
  after(() => gateway.close());
  for (const row of rows) test(row.name, () => check(gateway, row));
});
