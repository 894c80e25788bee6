// HttpBodyResponse's content written by writeRaw on a real node:http response: Content-Length when no HTTP
// trailers were announced, a chunked body followed by the trailers when they were.
import assert from "node:assert/strict";
import { get, type ServerResponse } from "node:http";
import { test } from "node:test";
import { create } from "@bufbuild/protobuf";
import { HttpBodyResponse } from "../../packages/runtime/src/core/http-body.js";
import { writeRaw } from "../../packages/runtime/src/wire/response-writer.js";
import { HttpBodySchema } from "../gen/google/api/httpbody_pb.js";
import { startHttpServer } from "../support/servers.js";

const cases: Array<{ name: string; trailers: Record<string, string> | undefined }> = [
  { name: "no trailers: Content-Length", trailers: undefined },
  { name: "announced trailers: chunked, then the trailers", trailers: { "grpc-trailer-x": "1" } },
];

for (const c of cases) {
  test(`writeRaw of an HttpBody: ${c.name}`, async () => {
    const writer = HttpBodyResponse.forRoute(HttpBodySchema, undefined);
    assert.ok(writer !== undefined);
    const message = create(HttpBodySchema, {
      contentType: "text/plain",
      data: Buffer.from("hello"),
    });
    const http = await startHttpServer((_req, res: ServerResponse) => {
      if (c.trailers !== undefined) {
        res.setHeader("Trailer", Object.keys(c.trailers).join(", "));
        res.addTrailers(c.trailers);
      }
      writeRaw(res, 200, writer.content(message));
    });
    try {
      const got = await new Promise<{
        headers: Record<string, unknown>;
        body: string;
        trailers: Record<string, unknown>;
      }>((resolve, reject) => {
        get(http.url, (res) => {
          let body = "";
          res.setEncoding("utf8");
          res.on("data", (chunk: string) => {
            body += chunk;
          });
          res.on("end", () => resolve({ headers: res.headers, body, trailers: res.trailers }));
        }).on("error", reject);
      });
      assert.equal(got.body, "hello");
      assert.equal(got.headers["content-type"], "text/plain");
      if (c.trailers === undefined) {
        assert.equal(got.headers["content-length"], "5");
        assert.deepEqual(got.trailers, {});
      } else {
        assert.equal(got.headers["content-length"], undefined);
        assert.equal(got.headers["transfer-encoding"], "chunked");
        assert.deepEqual(got.trailers, c.trailers);
      }
    } finally {
      await http.close();
    }
  });
}
