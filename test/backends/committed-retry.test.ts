/**
 * A replica killed under load drops some answers after their response headers
 * (the kernel throws away the unread rest on the reset). grpc-js commits a
 * call on its headers and never retries it; the gateway issues such a call of
 * an idempotent method once more. A raw HTTP/2 backend plays the replica:
 * headers, then the connection is destroyed.
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import * as http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { after, it } from "node:test";
import { create, toBinary } from "@bufbuild/protobuf";
import { Code, RpcError } from "@ts-gateway/runtime";
import { channelOptionsFor, createChannel } from "@ts-gateway/runtime/balancer";
import { HaServiceClient } from "../gen/ha/v1/ha_gateway.js";
import { WhoAmIResponseSchema } from "../gen/ha/v1/ha_pb.js";

/** Per path, how many calls arrived; the first `drop` calls of a path lose their connection after the headers. */
async function droppingBackend(drop: number) {
  const calls = new Map<string, number>();
  const server = http2.createServer();
  server.on("session", (session) => session.on("error", () => {}));
  server.on("stream", (stream, headers) => {
    stream.on("error", () => {});
    const path = String(headers[":path"]);
    const n = (calls.get(path) ?? 0) + 1;
    calls.set(path, n);
    const dropped = n <= drop;
    stream.respond(
      { ":status": 200, "content-type": "application/grpc" },
      { waitForTrailers: !dropped },
    );
    if (dropped) {
      // The headers are on the wire; the answer never follows.
      setImmediate(() => stream.session?.destroy());
      return;
    }
    const body = Buffer.from(
      toBinary(WhoAmIResponseSchema, create(WhoAmIResponseSchema, { id: "b", served: 1n })),
    );
    const frame = Buffer.alloc(5 + body.length);
    frame.writeUInt32BE(body.length, 1);
    body.copy(frame, 5);
    stream.on("wantTrailers", () => stream.sendTrailers({ "grpc-status": "0" }));
    stream.end(frame);
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  return { address: `127.0.0.1:${port}`, calls, server };
}

const servers: http2.Http2Server[] = [];
after(() => {
  for (const server of servers) server.close();
});

for (const row of [
  { name: "an idempotent method is issued once more", method: "whoAmI", retried: true },
  { name: "a method the retry policy does not name fails", method: "flakyPost", retried: false },
] as const) {
  it(`a call whose connection drops after its headers: ${row.name}`, async () => {
    const backend = await droppingBackend(1);
    servers.push(backend.server);
    const channel = createChannel([backend.address], {
      retry: { methods: ["/ha.v1.HaService/WhoAmI"] },
      healthCheck: false,
      circuitBreaker: false,
      outlierDetection: false,
      reconnectBackoff: { initialMs: 50, maxMs: 100 },
    });
    const client = HaServiceClient.fromChannel(channel, channelOptionsFor(channel));
    try {
      const options = { timeoutMs: 10_000 };
      const call =
        row.method === "whoAmI"
          ? client.whoAmI({}, options)
          : client.flakyPost({ key: "k", failFirst: 0 }, options);
      if (row.retried) {
        const answer = await call;
        assert.equal(answer.id, "b");
        assert.equal(backend.calls.get("/ha.v1.HaService/WhoAmI"), 2);
      } else {
        const error = await call.then(
          () => assert.fail("the call succeeded"),
          (e: unknown) => e,
        );
        assert.ok(error instanceof RpcError);
        assert.equal(error.code, Code.Unavailable);
        assert.equal(backend.calls.get("/ha.v1.HaService/FlakyPost"), 1);
      }
    } finally {
      channel.close();
    }
  });
}
