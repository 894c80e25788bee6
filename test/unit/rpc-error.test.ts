import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { create, toBinary } from "@bufbuild/protobuf";
import { anyPack } from "@bufbuild/protobuf/wkt";
import * as grpc from "@grpc/grpc-js";
import { errorBody } from "../../packages/runtime/src/core/error-body.js";
import {
  Code,
  findDetails,
  RpcError,
  statusFromRpcError,
} from "../../packages/runtime/src/core/rpc-error.js";
import { fromServiceError, toServiceError } from "../../packages/runtime/src/grpc/grpc-status.js";
import { metadataTrailerPrefix } from "../../packages/runtime/src/headers/header-matcher.js";
import { headersFromMetadata } from "../../packages/runtime/src/headers/outgoing-headers.js";
import {
  BadRequestSchema,
  ErrorInfoSchema,
} from "../../packages/runtime/src/proto/google/rpc/error_details_pb.js";
import { StatusSchema } from "../../packages/runtime/src/proto/google/rpc/status_pb.js";

const brand = Symbol.for("@ts-gateway/runtime/RpcError");

/** Stands in for RpcError from a second copy of the package. */
class ForeignRpcError extends Error {
  override name = "RpcError";
  code = Code.NotFound;
  rawMessage = "foreign";
  details = [{ desc: ErrorInfoSchema, value: { reason: "FOREIGN" } }];
  metadata = { toJSON: () => ({ "x-a": ["1"], "x-b-bin": [Buffer.from([7])], "bad key": ["x"] }) };
  override cause = "why";
}
Object.defineProperty(ForeignRpcError.prototype, brand, { value: true });

describe("RpcError", () => {
  it("prefixes the message with the code and keeps the raw message", () => {
    const err = new RpcError("book not found", Code.NotFound);
    assert.equal(err.message, "[not_found] book not found");
    assert.equal(err.rawMessage, "book not found");
    assert.equal(err.name, "RpcError");
    assert.deepEqual(err.details, []);
    assert.deepEqual(err.metadata.toJSON(), {});
    assert.equal(new RpcError("").message, "[unknown]");
  });

  it("recognises instances from a duplicate package copy, but not look-alikes", () => {
    assert.ok(new ForeignRpcError() instanceof RpcError);
    const lookAlike = Object.assign(new Error("x"), { name: "RpcError", code: 5 });
    assert.ok(!(lookAlike instanceof RpcError));
  });

  it("keeps the ordinary instanceof for subclasses", () => {
    class MyError extends RpcError {}
    assert.ok(new MyError("x") instanceof RpcError);
    assert.ok(new MyError("x") instanceof MyError);
    assert.ok(!(new RpcError("x") instanceof MyError));
  });

  describe("from", () => {
    const own = new RpcError("mine", Code.Aborted);
    const plainError = new Error("boom");
    const abort = new DOMException("This operation was aborted", "AbortError");
    const timeout = new DOMException("The operation timed out", "TimeoutError");
    const systemError = Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" });
    const cases: Array<{
      name: string;
      reason: unknown;
      fallback?: Code;
      code: Code;
      message: string;
      cause?: unknown;
    }> = [
      { name: "an RpcError", reason: own, code: Code.Aborted, message: "mine", cause: undefined },
      {
        name: "an Error",
        reason: plainError,
        code: Code.Unknown,
        message: "boom",
        cause: plainError,
      },
      {
        name: "an Error with a fallback code",
        reason: plainError,
        fallback: Code.Internal,
        code: Code.Internal,
        message: "boom",
        cause: plainError,
      },
      {
        name: "an AbortError",
        reason: abort,
        code: Code.Cancelled,
        message: "This operation was aborted",
        cause: abort,
      },
      {
        name: "a TimeoutError",
        reason: timeout,
        code: Code.DeadlineExceeded,
        message: "The operation timed out",
        cause: timeout,
      },
      {
        name: "a Node system error (string code)",
        reason: systemError,
        code: Code.Unknown,
        message: "connect ECONNREFUSED",
        cause: systemError,
      },
      { name: "a string", reason: "oops", code: Code.Unknown, message: "oops", cause: "oops" },
      { name: "undefined", reason: undefined, code: Code.Unknown, message: "undefined" },
      {
        name: "a StatusObject",
        reason: { code: 7, details: "denied", metadata: new grpc.Metadata() },
        code: Code.PermissionDenied,
        message: "denied",
      },
      {
        name: "a StatusObject with a code out of range",
        reason: { code: 99, details: "weird", metadata: new grpc.Metadata() },
        code: Code.Unknown,
        message: "weird",
      },
      {
        name: "an RpcError from a duplicate copy",
        reason: new ForeignRpcError(),
        code: Code.NotFound,
        message: "foreign",
        cause: "why",
      },
    ];
    for (const c of cases) {
      it(`converts ${c.name}`, () => {
        const err = RpcError.from(c.reason, c.fallback);
        assert.ok(Object.getPrototypeOf(err) === RpcError.prototype);
        assert.equal(err.code, c.code);
        assert.equal(err.rawMessage, c.message);
        if ("cause" in c) assert.equal(err.cause, c.cause);
      });
    }

    it("returns the same RpcError instance", () => {
      assert.equal(RpcError.from(own), own);
    });

    it("copies details and valid metadata of a duplicate-copy error", () => {
      const err = RpcError.from(new ForeignRpcError());
      assert.deepEqual(err.metadata.get("x-a"), ["1"]);
      assert.deepEqual(err.metadata.get("x-b-bin"), [Buffer.from([7])]);
      assert.deepEqual(err.metadata.get("bad key"), []);
      assert.equal(findDetails(err, ErrorInfoSchema)[0]?.reason, "FOREIGN");
    });

    it("decodes grpc-status-details-bin from a StatusObject", () => {
      const status = create(StatusSchema, {
        code: Code.InvalidArgument,
        message: "from status",
        details: [anyPack(ErrorInfoSchema, create(ErrorInfoSchema, { reason: "R" }))],
      });
      const metadata = new grpc.Metadata();
      metadata.set("grpc-status-details-bin", Buffer.from(toBinary(StatusSchema, status)));
      metadata.set("x-kept", "yes");
      const err = RpcError.from({ code: Code.InvalidArgument, details: "", metadata });
      assert.equal(
        err.rawMessage,
        "from status",
        "empty grpc-message falls back to Status.message",
      );
      assert.equal(findDetails(err, ErrorInfoSchema)[0]?.reason, "R");
      assert.deepEqual(err.metadata.get("grpc-status-details-bin"), []);
      assert.deepEqual(err.metadata.get("x-kept"), ["yes"]);
    });

    it("keeps an undecodable grpc-status-details-bin as metadata", () => {
      const metadata = new grpc.Metadata();
      metadata.set("grpc-status-details-bin", Buffer.from([0xff, 0xff]));
      const err = RpcError.from({ code: Code.Internal, details: "x", metadata });
      assert.deepEqual(err.details, []);
      assert.equal(err.metadata.get("grpc-status-details-bin").length, 1);
    });
  });

  describe("findDetails", () => {
    const err = new RpcError("x", Code.InvalidArgument, {
      details: [
        { desc: BadRequestSchema, value: { fieldViolations: [{ field: "a" }] } },
        anyPack(BadRequestSchema, create(BadRequestSchema, { fieldViolations: [{ field: "b" }] })),
        anyPack(ErrorInfoSchema, create(ErrorInfoSchema, { reason: "R" })),
        {
          $typeName: "google.protobuf.Any",
          typeUrl: "type.googleapis.com/google.rpc.BadRequest",
          value: new Uint8Array([0xff]),
        },
      ],
    });
    it("returns outgoing and packed details of the type, skipping corrupt ones", () => {
      const found = findDetails(err, BadRequestSchema);
      assert.deepEqual(
        found.map((d) => d.fieldViolations[0]?.field),
        ["a", "b"],
      );
      assert.equal(findDetails(err, ErrorInfoSchema).length, 1);
    });

    it("packs every detail for statusFromRpcError", () => {
      const status = statusFromRpcError(err);
      assert.equal(status.code, Code.InvalidArgument);
      assert.equal(status.details.length, 4);
      assert.ok(
        status.details.every((d) => d.typeUrl.startsWith("type.googleapis.com/google.rpc.")),
      );
    });
  });

  describe("toServiceError", () => {
    it("strips status keys from the metadata and maps Ok to Unknown", () => {
      const metadata = new grpc.Metadata();
      metadata.set("grpc-status", "0");
      metadata.set("grpc-message", "fake");
      metadata.set("x-keep", "1");
      const se = toServiceError(new RpcError("bad", Code.Ok, { metadata }));
      assert.equal(se.code, Code.Unknown);
      assert.equal(se.details, "bad");
      assert.ok(se instanceof Error);
      assert.deepEqual(Object.keys(se.metadata.toJSON()), ["x-keep"]);
      assert.deepEqual(
        metadata.get("grpc-status"),
        ["0"],
        "the error's own metadata is not mutated",
      );
    });
  });
});

describe("grpc-js round trip", () => {
  const passThrough = {
    requestSerialize: (b: Buffer) => b,
    requestDeserialize: (b: Buffer) => b,
    responseSerialize: (b: Buffer) => b,
    responseDeserialize: (b: Buffer) => b,
  };
  const service: grpc.ServiceDefinition = {
    Fail: {
      path: "/test.Errors/Fail",
      requestStream: false,
      responseStream: false,
      ...passThrough,
    },
    FailStream: {
      path: "/test.Errors/FailStream",
      requestStream: false,
      responseStream: true,
      ...passThrough,
    },
  };

  function failure(): RpcError {
    const metadata = new grpc.Metadata();
    metadata.set("x-trace-id", "t-123");
    metadata.set("debug-bin", Buffer.from([1, 2, 3]));
    return new RpcError('name "" is invalid', Code.InvalidArgument, {
      metadata,
      details: [
        {
          desc: BadRequestSchema,
          value: { fieldViolations: [{ field: "name", description: "must not be empty" }] },
        },
        anyPack(
          ErrorInfoSchema,
          create(ErrorInfoSchema, { reason: "EMPTY_NAME", domain: "books.example.com" }),
        ),
      ],
    });
  }

  const server = new grpc.Server();
  let client: grpc.Client & {
    Fail(req: Buffer, options: grpc.CallOptions, cb: (err: grpc.ServiceError | null) => void): void;
    FailStream(req: Buffer, options: grpc.CallOptions): grpc.ClientReadableStream<Buffer>;
  };

  before(async () => {
    server.addService(service, {
      Fail: (_call: unknown, callback: grpc.sendUnaryData<Buffer>) =>
        callback(toServiceError(failure())),
      FailStream: (call: grpc.ServerWritableStream<Buffer, Buffer>) => {
        call.write(Buffer.from("first"));
        // grpc-js sends a stream's status on 'error'; call.destroy(err) would
        // destroy the stream before the status is written, and the call hangs.
        call.emit("error", toServiceError(failure()));
      },
    });
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, p) =>
        err ? reject(err) : resolve(p),
      ),
    );
    const Client = grpc.makeGenericClientConstructor(service, "Errors");
    client = new Client(
      `127.0.0.1:${port}`,
      grpc.credentials.createInsecure(),
    ) as unknown as typeof client;
  });

  after(() => {
    client?.close();
    server.forceShutdown();
  });

  /** Bounds every call, so a regression fails instead of hanging the run. */
  function deadline(): Date {
    return new Date(Date.now() + 5_000);
  }

  function assertFailure(err: RpcError): void {
    assert.equal(err.code, Code.InvalidArgument);
    assert.equal(err.rawMessage, 'name "" is invalid');
    const [badRequest] = findDetails(err, BadRequestSchema);
    assert.equal(badRequest?.fieldViolations[0]?.field, "name");
    assert.equal(badRequest?.fieldViolations[0]?.description, "must not be empty");
    const [info] = findDetails(err, ErrorInfoSchema);
    assert.equal(info?.reason, "EMPTY_NAME");
    assert.equal(info?.domain, "books.example.com");
    assert.deepEqual(err.metadata.get("x-trace-id"), ["t-123"]);
    assert.deepEqual(err.metadata.get("debug-bin"), [Buffer.from([1, 2, 3])]);
    assert.deepEqual(err.metadata.get("grpc-status-details-bin"), []);
  }

  it("carries code, message, typed details and trailers of a unary call", async () => {
    const serviceError = await new Promise<grpc.ServiceError>((resolve, reject) => {
      client.Fail(Buffer.alloc(0), { deadline: deadline() }, (err: grpc.ServiceError | null) =>
        err ? resolve(err) : reject(new Error("call succeeded")),
      );
    });
    const err = RpcError.from(serviceError);
    assertFailure(err);
    assert.equal(err.cause, serviceError);
    assertFailure(fromServiceError(serviceError));

    const body = JSON.parse(errorBody(err));
    assert.deepEqual(body, {
      code: 3,
      message: 'name "" is invalid',
      details: [
        {
          "@type": "type.googleapis.com/google.rpc.BadRequest",
          fieldViolations: [{ field: "name", description: "must not be empty" }],
        },
        {
          "@type": "type.googleapis.com/google.rpc.ErrorInfo",
          reason: "EMPTY_NAME",
          domain: "books.example.com",
        },
      ],
    });

    assert.deepEqual(headersFromMetadata(err.metadata, metadataTrailerPrefix), [
      ["Grpc-Trailer-x-trace-id", "t-123"],
      ["Grpc-Trailer-debug-bin", "AQID"],
    ]);
  });

  it("carries the same through a server stream's error event", async () => {
    const serviceError = await new Promise<grpc.ServiceError>((resolve, reject) => {
      const call = client.FailStream(Buffer.alloc(0), {
        deadline: deadline(),
      });
      call.on("data", () => {});
      call.on("error", resolve);
      call.on("end", () => reject(new Error("stream ended without error")));
    });
    assertFailure(RpcError.from(serviceError));
  });
});
