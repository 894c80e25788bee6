// Request bodies: `body: "field"` (also nested), `body: "*"`, routes without
// a body, bodies that are not JSON or do not fit, PATCH FieldMask filling,
// and google.api.HttpBody as request and response.
import { after, before, describe, test } from "node:test";
import { addBodies, BodiesClient, registerBodies } from "../gen/conformance/v1/bodies_gateway.js";
import { Bodies } from "../gen/conformance/v1/bodies_pb.js";
import { check, type Gateway, type Row, startGateway } from "./gateway-fixture.js";

const b64 = (text: string) => Buffer.from(text).toString("base64");

const bodyRows: Row[] = [
  {
    name: `body: "book": the field from the body, the others from path and query`,
    method: "POST",
    path: "/v1/shelves/s1/books?requestId=r1&validate_only=true",
    json: { title: "Dune", author: { name: "Frank" } },
    rpc: "createBook",
    request: {
      shelfId: "s1",
      book: { title: "Dune", author: { name: "Frank" } },
      requestId: "r1",
      validateOnly: true,
    },
    status: 200,
  },
  {
    name: `body: "book": the query cannot set fields of the body field`,
    method: "POST",
    path: "/v1/shelves/s1/books?book.title=fromquery",
    json: { title: "Dune" },
    rpc: "createBook",
    request: { shelfId: "s1", book: { title: "Dune" } },
    status: 200,
  },
  {
    name: `body: "book": proto field names are accepted in the body`,
    method: "POST",
    path: "/v1/shelves/s1/books",
    json: { create_time: "2024-01-02T03:04:05Z" },
    rpc: "createBook",
    request: { shelfId: "s1", book: { createTime: "2024-01-02T03:04:05Z" } },
    status: 200,
  },
  {
    name: `body: "book": an empty body leaves the field unset`,
    method: "POST",
    path: "/v1/shelves/s1/books",
    rpc: "createBook",
    request: { shelfId: "s1" },
    status: 200,
  },
  {
    name: `body: "*": path wins, query ignored`,
    method: "POST",
    path: "/v1/shelves/s1/books:whole?validateOnly=true",
    json: { shelfId: "other", book: { title: "Dune" }, requestId: "r" },
    rpc: "createBookWhole",
    request: { shelfId: "s1", book: { title: "Dune" }, requestId: "r" },
    status: 200,
  },
  {
    name: "body bound to a nested field",
    method: "POST",
    path: "/v1/nested-body?tag=t&wrapper.note=n",
    json: { title: "X", tags: ["a", "b"] },
    rpc: "createNested",
    request: { wrapper: { book: { title: "X", tags: ["a", "b"] }, note: "n" }, tag: "t" },
    status: 200,
  },
  {
    name: "no body rule: a body sent anyway is ignored, the query is read",
    method: "DELETE",
    path: "/v1/shelves/s1/books/r1?validateOnly=true",
    json: { book: { title: "ignored" }, validateOnly: false },
    rpc: "deleteBook",
    request: { shelfId: "s1", requestId: "r1", validateOnly: true },
    status: 200,
  },
  // Bodies that do not work.
  {
    name: "body that is not JSON: 400",
    method: "POST",
    path: "/v1/shelves/s1/books",
    body: "{title:",
    headers: { "content-type": "application/json" },
    status: 400,
    error: "not valid JSON",
  },
  {
    name: "body whose field has the wrong type: 400 naming the field",
    method: "POST",
    path: "/v1/shelves/s1/books",
    json: { title: 5 },
    status: 400,
    error: "title",
  },
  {
    name: `body: "*" that is not an object: 400`,
    method: "POST",
    path: "/v1/shelves/s1/books:whole",
    json: ["a"],
    status: 400,
    error: "JSON object",
  },
  {
    name: "body with a content type that is not JSON or a form: 415",
    method: "POST",
    path: "/v1/shelves/s1/books",
    body: "title: Dune",
    headers: { "content-type": "text/yaml" },
    status: 415,
  },
  {
    // Forms are read like the query (test/conformance/form-bodies.test.ts).
    name: "a URL-encoded form is the body field's message",
    method: "POST",
    path: "/v1/shelves/s1/books",
    body: "title=Dune",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    rpc: "createBook",
    request: { shelfId: "s1", book: { title: "Dune" } },
    status: 200,
  },
  {
    name: "JSON with a charset parameter is JSON",
    method: "POST",
    path: "/v1/shelves/s1/books",
    body: '{"title":"Dune"}',
    headers: { "content-type": "application/json; charset=utf-8" },
    rpc: "createBook",
    request: { shelfId: "s1", book: { title: "Dune" } },
    status: 200,
  },
  // PATCH and FieldMask.
  {
    name: "PATCH without a mask: filled from the body's keys, nested as dotted paths",
    method: "PATCH",
    path: "/v1/shelves/1/books/2",
    json: { title: "New", author: { name: "A" }, labels: { k: "v" } },
    rpc: "updateBook",
    request: {
      book: { name: "shelves/1/books/2", title: "New", author: { name: "A" }, labels: { k: "v" } },
      updateMask: "title,author.name,labels",
    },
    status: 200,
  },
  {
    name: "PATCH: proto-named keys give proto paths; a well-known type is one path",
    method: "PATCH",
    path: "/v1/shelves/1/books/2",
    json: { create_time: "2024-01-02T03:04:05Z", tags: [] },
    rpc: "updateBook",
    request: {
      book: { name: "shelves/1/books/2", createTime: "2024-01-02T03:04:05Z" },
      updateMask: "createTime,tags",
    },
    status: 200,
  },
  {
    name: "PATCH with a mask in the query: the client's mask is kept",
    method: "PATCH",
    path: "/v1/shelves/1/books/2?update_mask=title",
    json: { title: "New", author: { name: "A" } },
    rpc: "updateBook",
    request: {
      book: { name: "shelves/1/books/2", title: "New", author: { name: "A" } },
      updateMask: "title",
    },
    status: 200,
  },
  // google.api.HttpBody.
  {
    name: "HttpBody response: raw bytes with its content type",
    method: "GET",
    path: "/v1/blobs/b1?contentType=text/csv",
    rpc: "download",
    request: { id: "b1", contentType: "text/csv" },
    status: 200,
    responseText: "a,b\n1,2\n",
    responseHeaders: { "content-type": "text/csv" },
  },
  {
    name: "HttpBody response without a content type: application/octet-stream",
    method: "GET",
    path: "/v1/blobs/b2",
    rpc: "download",
    request: { id: "b2" },
    status: 200,
    responseText: "a,b\n1,2\n",
    responseHeaders: { "content-type": "application/octet-stream" },
  },
  {
    name: "HttpBody request field: the raw body and its content type; the rest from the query",
    method: "POST",
    path: "/v1/blobs/b1?note=n",
    body: "hello, world",
    headers: { "content-type": "text/plain" },
    rpc: "upload",
    request: {
      id: "b1",
      data: { contentType: "text/plain", data: b64("hello, world") },
      note: "n",
    },
    status: 200,
    responseText: "hello, world",
    responseHeaders: { "content-type": "text/plain" },
  },
  {
    name: "HttpBody request field: a JSON content type is still raw",
    method: "POST",
    path: "/v1/blobs/b1",
    body: '{"not": "parsed"}',
    headers: { "content-type": "application/json" },
    rpc: "upload",
    request: {
      id: "b1",
      data: { contentType: "application/json", data: b64('{"not": "parsed"}') },
    },
    status: 200,
    responseText: '{"not": "parsed"}',
  },
  {
    name: `HttpBody as the whole request (body: "*")`,
    method: "PUT",
    path: "/v1/raw",
    body: "\u0000\u0001binary",
    headers: { "content-type": "application/octet-stream" },
    rpc: "uploadRaw",
    request: { contentType: "application/octet-stream", data: b64("\u0000\u0001binary") },
    status: 200,
  },
];

describe("body mapping", () => {
  let gateway: Gateway;
  before(async () => {
    gateway = await startGateway([
      { service: Bodies, add: addBodies, Client: BodiesClient, register: registerBodies },
    ]);
    gateway.responders.set("download", (_, req) => ({
      contentType: req.contentType,
      data: Buffer.from("a,b\n1,2\n"),
    }));
    gateway.responders.set("upload", (_, req) => req.data);
  });
  after(() => gateway.close());
  for (const row of bodyRows) test(row.name, () => check(gateway, row));
});
