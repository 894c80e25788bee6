import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { status } from "@grpc/grpc-js";
import {
  codeFromHttpStatus,
  httpStatusFromCode,
} from "../../packages/runtime/src/core/http-status.js";
import {
  HttpStatusError,
  httpStatusOf,
} from "../../packages/runtime/src/core/http-status-error.js";
import { Code, RpcError } from "../../packages/runtime/src/core/rpc-error.js";

describe("httpStatusFromCode", () => {
  const cases: Array<[Code, number]> = [
    [Code.Ok, 200],
    [Code.Cancelled, 499],
    [Code.Unknown, 500],
    [Code.InvalidArgument, 400],
    [Code.DeadlineExceeded, 504],
    [Code.NotFound, 404],
    [Code.AlreadyExists, 409],
    [Code.PermissionDenied, 403],
    [Code.Unauthenticated, 401],
    [Code.ResourceExhausted, 429],
    [Code.FailedPrecondition, 400],
    [Code.Aborted, 409],
    [Code.OutOfRange, 400],
    [Code.Unimplemented, 501],
    [Code.Internal, 500],
    [Code.Unavailable, 503],
    [Code.DataLoss, 500],
  ];
  for (const [code, http] of cases) {
    it(`maps code ${code} to ${http}`, () => {
      assert.equal(httpStatusFromCode(code), http);
    });
  }

  it("covers every code", () => {
    assert.equal(cases.length, Object.keys(Code).length);
  });

  it("maps a number that is not a code to 500", () => {
    assert.equal(httpStatusFromCode(42 as Code), 500);
  });
});

describe("Code", () => {
  it("numbers codes like grpc-js status", () => {
    const grpcNames: Record<string, string> = {
      Ok: "OK",
      Cancelled: "CANCELLED",
      Unknown: "UNKNOWN",
      InvalidArgument: "INVALID_ARGUMENT",
      DeadlineExceeded: "DEADLINE_EXCEEDED",
      NotFound: "NOT_FOUND",
      AlreadyExists: "ALREADY_EXISTS",
      PermissionDenied: "PERMISSION_DENIED",
      ResourceExhausted: "RESOURCE_EXHAUSTED",
      FailedPrecondition: "FAILED_PRECONDITION",
      Aborted: "ABORTED",
      OutOfRange: "OUT_OF_RANGE",
      Unimplemented: "UNIMPLEMENTED",
      Internal: "INTERNAL",
      Unavailable: "UNAVAILABLE",
      DataLoss: "DATA_LOSS",
      Unauthenticated: "UNAUTHENTICATED",
    };
    for (const [name, value] of Object.entries(Code)) {
      const grpcName = grpcNames[name];
      assert.ok(grpcName, name);
      assert.equal(value, status[grpcName as keyof typeof status], name);
    }
  });
});

describe("codeFromHttpStatus", () => {
  const cases: Array<[number, Code]> = [
    [200, Code.Ok],
    [400, Code.InvalidArgument],
    [401, Code.Unauthenticated],
    [403, Code.PermissionDenied],
    [404, Code.NotFound],
    [405, Code.Unimplemented],
    [408, Code.DeadlineExceeded],
    [409, Code.Aborted],
    [412, Code.FailedPrecondition],
    [413, Code.ResourceExhausted],
    [415, Code.InvalidArgument],
    [416, Code.OutOfRange],
    [418, Code.FailedPrecondition],
    [429, Code.ResourceExhausted],
    [499, Code.Cancelled],
    [500, Code.Internal],
    [501, Code.Unimplemented],
    [502, Code.Internal],
    [503, Code.Unavailable],
    [504, Code.DeadlineExceeded],
    [302, Code.Unknown],
  ];
  for (const [http, code] of cases) {
    it(`maps ${http} to code ${code}`, () => {
      assert.equal(codeFromHttpStatus(http), code);
    });
  }

  it("round-trips through httpStatusFromCode for the statuses it maps", () => {
    for (const http of [400, 401, 403, 404, 429, 499, 500, 501, 503, 504]) {
      assert.equal(httpStatusFromCode(codeFromHttpStatus(http)), http, String(http));
    }
  });
});

describe("httpStatusOf", () => {
  const cases: Array<[name: string, error: RpcError, status: number]> = [
    ["an RpcError answers with its code's mapping", new RpcError("x", Code.ResourceExhausted), 429],
    [
      "an HttpStatusError answers with its own status",
      new HttpStatusError("too large", Code.ResourceExhausted, 413),
      413,
    ],
    [
      "a 405 keeps UNIMPLEMENTED as its code",
      new HttpStatusError("no", Code.Unimplemented, 405),
      405,
    ],
  ];
  for (const [name, error, status] of cases) {
    it(name, () => {
      assert.equal(httpStatusOf(error), status);
    });
  }

  it("an HttpStatusError is an RpcError that RpcError.from keeps as it is", () => {
    const error = new HttpStatusError("gone", Code.FailedPrecondition, 412);
    assert.ok(error instanceof RpcError);
    assert.equal(RpcError.from(error), error);
    assert.equal(error.code, Code.FailedPrecondition);
    assert.equal(error.message, "[failed_precondition] gone");
  });
});
