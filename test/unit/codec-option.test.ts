// The codec is an option: the mux decodes bodies and encodes answers through
// its `codec`, a generated client and a service definition serialize through
// theirs. A counting codec around protobuf-es's shows each one is used.
import assert from "node:assert/strict";
import { test } from "node:test";
import { credentials } from "@grpc/grpc-js";
import { type Codec, createServiceDefinition, Mux, protobufEsCodec } from "@ts-gateway/runtime";
import {
  LibraryServiceClient,
  registerLibraryService,
} from "../../examples/library/src/gen/library/v1/library_gateway.js";
import { LibraryService } from "../../examples/library/src/gen/library/v1/library_pb.js";
import { InMemoryLibrary } from "../../examples/library/src/library-service.js";
import { grpcHandlers } from "../../packages/runtime/src/grpc/grpc-server.js";
import { request, startGrpcServer, startHttpServer } from "../support/servers.js";

function counting(): { codec: Codec; calls: string[] } {
  const calls: string[] = [];
  const seen = <T>(call: string, result: () => T): T => {
    calls.push(call);
    return result();
  };
  const codec: Codec = {
    name: "counting",
    binary(schema) {
      const inner = protobufEsCodec.binary(schema);
      return {
        encode: (m) => seen(`encode ${schema.name}`, () => inner.encode(m)),
        decode: (b) => seen(`decode ${schema.name}`, () => inner.decode(b)),
      };
    },
    fromJson: (schema, json, o) =>
      seen(`fromJson ${schema.name}`, () => protobufEsCodec.fromJson(schema, json, o)),
    toJson: (schema, m, o) =>
      seen(`toJson ${schema.name}`, () => protobufEsCodec.toJson(schema, m, o)),
  };
  return { codec, calls };
}

test("the mux, a generated client and a service definition each use the codec they are given", {
  timeout: 20_000,
}, async () => {
  const server = counting();
  const client = counting();
  const gateway = counting();
  const grpcServer = await startGrpcServer((s) =>
    s.addService(
      createServiceDefinition(LibraryService, { codec: server.codec }),
      grpcHandlers(LibraryService, new InMemoryLibrary()),
    ),
  );
  const backend = new LibraryServiceClient(grpcServer.address, credentials.createInsecure(), {
    codec: client.codec,
  });
  const mux = new Mux({ notFound: "404", codec: gateway.codec });
  registerLibraryService(mux, backend);
  const http = await startHttpServer(mux.handler);
  try {
    const res = await request(`${http.url}/v1/shelves`, {
      method: "POST",
      json: { theme: "Poetry" },
    });
    assert.equal(res.status, 201, res.text);
    assert.equal((res.json as { theme: string }).theme, "Poetry");
    assert.deepEqual(gateway.calls, ["fromJson CreateShelfRequest", "toJson Shelf"]);
    assert.deepEqual(client.calls, ["encode CreateShelfRequest", "decode Shelf"]);
    assert.deepEqual(server.calls, ["decode CreateShelfRequest", "encode Shelf"]);
  } finally {
    backend.close();
    await http.close();
    await grpcServer.close();
  }
});
