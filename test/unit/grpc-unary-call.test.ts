import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { create, toBinary } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import {
  LibraryService,
  ShelfSchema,
} from "../../examples/library/src/gen/library/v1/library_pb.js";
import type { CallContext } from "../../packages/runtime/src/core/call-context.js";
import { Code, RpcError } from "../../packages/runtime/src/core/rpc-error.js";
import { GrpcClient } from "../../packages/runtime/src/grpc/grpc-client.js";
import {
  createServiceDefinition,
  grpcHandlers,
} from "../../packages/runtime/src/grpc/grpc-server.js";
import { canCallChannelDirectly } from "../../packages/runtime/src/grpc/grpc-unary-call.js";
import { startGrpcServer } from "../support/servers.js";

describe("canCallChannelDirectly", () => {
  const interceptor: grpc.Interceptor = (options, next) => new grpc.InterceptingCall(next(options));
  const cases: Array<[string, grpc.ClientOptions | undefined, boolean]> = [
    ["no options", undefined, true],
    ["channel options only", { "grpc.enable_channelz": 1 }, true],
    ["an empty interceptor list", { interceptors: [] }, true],
    ["a user interceptor", { interceptors: [interceptor] }, false],
    ["an interceptor provider", { interceptor_providers: [() => interceptor] }, false],
    ["a call invocation transformer", { callInvocationTransformer: (p) => p }, false],
  ];
  for (const [name, options, expected] of cases) {
    it(`${name}: ${expected ? "direct" : "through grpc.Client"}`, () =>
      assert.equal(canCallChannelDirectly(options), expected));
  }
});

describe("GrpcClient.unary, direct and through interceptors", async () => {
  const md = (key: string, value: string) => {
    const m = new grpc.Metadata();
    m.set(key, value);
    return m;
  };
  const server = await startGrpcServer((s) =>
    s.addService(
      createServiceDefinition(LibraryService),
      grpcHandlers(LibraryService, {
        getShelf: async (req: { name: string }, ctx: CallContext) => {
          ctx.responseMetadata.set("x-header", "h");
          ctx.responseTrailers.set("x-trailer", "t");
          if (req.name === "shelves/missing")
            throw new RpcError("no such shelf", Code.NotFound, { metadata: md("x-why", "gone") });
          return { name: req.name, theme: ctx.metadata.get("x-theme")[0] ?? "" };
        },
      } as never),
    ),
  );
  let intercepted = 0;
  const counting: grpc.Interceptor = (options, next) => {
    intercepted++;
    return new grpc.InterceptingCall(next(options));
  };
  const variants: Array<[string, grpc.ClientOptions | undefined]> = [
    ["direct", undefined],
    ["with a user interceptor", { interceptors: [counting] }],
  ];
  for (const [name, options] of variants) {
    it(`${name}: same answers, metadata, trailers and errors`, async () => {
      const client = new GrpcClient(server.address, grpc.credentials.createInsecure(), options);
      try {
        const responseMetadata = new grpc.Metadata();
        const responseTrailers = new grpc.Metadata();
        const shelf = await client.unary(
          LibraryService.method.getShelf,
          { name: "shelves/1" },
          { metadata: md("x-theme", "poetry"), responseMetadata, responseTrailers },
        );
        assert.deepEqual(
          toBinary(ShelfSchema, shelf),
          toBinary(ShelfSchema, create(ShelfSchema, { name: "shelves/1", theme: "poetry" })),
        );
        assert.deepEqual(responseMetadata.get("x-header"), ["h"]);
        assert.deepEqual(responseTrailers.get("x-trailer"), ["t"]);
        await assert.rejects(
          client.unary(LibraryService.method.getShelf, { name: "shelves/missing" }),
          (err: RpcError) =>
            err.code === Code.NotFound &&
            err.rawMessage === "no such shelf" &&
            err.metadata.get("x-why")[0] === "gone",
        );
        await assert.rejects(
          client.unary(LibraryService.method.getShelf, { name: "shelves/1" }, { timeoutMs: -1 }),
          (err: RpcError) => err.code === Code.DeadlineExceeded,
        );
      } finally {
        client.close();
      }
    });
  }
  it("a user's interceptor runs on every call (never skipped by the direct path)", () =>
    assert.equal(intercepted, 3));
  it("closes the server", () => server.close());
});
