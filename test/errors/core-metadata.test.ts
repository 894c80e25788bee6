// Metadata the runtime's core makes itself (createMetadata(), the default
// metadata of a new RpcError or createCallContext()) works everywhere a
// grpc-js Metadata does: sent by a generated client to a REAL grpc-js server,
// filled with the server's response metadata, carried by an error back over
// grpc-js, and written as HTTP headers by the gateway in both backend modes.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { credentials } from "@grpc/grpc-js";
import { createCallContext, createMetadata, RpcError } from "@ts-gateway/runtime";
import { addErrorService, ErrorServiceClient } from "../gen/errors/v1/errors_gateway.js";
import { type GrpcTestServer, startGrpcServer } from "../support/servers.js";
import { modes, RecordingService, startErrorGateway } from "./error-fixture.js";
import { rawRequest } from "./raw-http.js";

const bytes = new Uint8Array([0x00, 0x01, 0xfe, 0xff]);
const base64 = Buffer.from(bytes).toString("base64");

describe("core metadata through a generated client and a grpc-js server", () => {
  const service = new RecordingService();
  let server: GrpcTestServer;
  let client: ErrorServiceClient;
  before(async () => {
    server = await startGrpcServer((s) => addErrorService(s, service));
    client = new ErrorServiceClient(server.address, credentials.createInsecure());
  });
  after(async () => {
    client.close();
    service.stop();
    server.server.forceShutdown();
  });

  test("request metadata is sent, response headers and trailers are filled", async () => {
    service.responseHeaders.set("x-h", "hv");
    service.responseTrailers.set("x-t-bin", Buffer.from(bytes));
    const metadata = createMetadata();
    metadata.set("x-a", "1");
    metadata.set("x-id-bin", bytes);
    const ctx = createCallContext({ metadata });
    assert.deepEqual(await client.echo({ text: "hi" }, ctx), {
      $typeName: "errors.v1.EchoResponse",
      text: "hi",
    });
    const seen = service.seen.at(-1)?.metadata;
    assert.deepEqual(seen?.get("x-a"), ["1"]);
    assert.deepEqual([...((seen?.get("x-id-bin")[0] as Uint8Array) ?? [])], [...bytes]);
    assert.deepEqual(ctx.responseMetadata.get("x-h"), ["hv"]);
    assert.deepEqual([...(ctx.responseTrailers.get("x-t-bin")[0] as Uint8Array)], [...bytes]);
  });

  test("an error's core metadata arrives as the client error's metadata", async () => {
    service.coreErrorMetadata = [["x-id-bin", bytes]];
    try {
      await assert.rejects(
        client.fail({ code: 7, message: "no", wwwAuthenticate: "Negotiate" }),
        (err: unknown) => {
          assert.ok(err instanceof RpcError);
          assert.equal(err.code, 7);
          assert.deepEqual(err.metadata.get("www-authenticate"), ["Negotiate"]);
          assert.deepEqual([...(err.metadata.get("x-id-bin")[0] as Uint8Array)], [...bytes]);
          return true;
        },
      );
    } finally {
      service.coreErrorMetadata = undefined;
    }
  });
});

for (const mode of modes) {
  test(`an error's core metadata becomes HTTP headers (${mode})`, async () => {
    const gw = await startErrorGateway(mode);
    try {
      gw.service.coreErrorMetadata = [
        ["x-id-bin", bytes],
        ["x-note", "n"],
      ];
      const res = await rawRequest(`${gw.url}/v1/fail/16?wwwAuthenticate=Negotiate`);
      assert.equal(res.status, 401, res.text);
      assert.equal(res.headers["www-authenticate"], "Negotiate");
      assert.equal(res.headers["grpc-trailer-x-id-bin"], base64);
      assert.equal(res.headers["grpc-trailer-x-note"], "n");
    } finally {
      await gw.close();
    }
  });
}
