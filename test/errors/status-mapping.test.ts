// gRPC status → HTTP status and google.rpc.Status bodies, end to end: the
// implementation throws an RpcError (through a real grpc-js server, or
// in-process) and the client sees the mapped status and the JSON body.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Code, createErrorDetailsRegistry } from "@ts-gateway/runtime";
import { file_errors_v1_errors } from "../gen/errors/v1/errors_pb.js";
import { request } from "../support/servers.js";
import { type ErrorGateway, modes, startErrorGateway } from "./error-fixture.js";

/** Every code a backend can fail with, and the HTTP status grpc-gateway users expect. */
const table: ReadonlyArray<readonly [name: string, code: Code, status: number]> = [
  ["CANCELLED", Code.Cancelled, 499],
  ["UNKNOWN", Code.Unknown, 500],
  ["INVALID_ARGUMENT", Code.InvalidArgument, 400],
  ["DEADLINE_EXCEEDED", Code.DeadlineExceeded, 504],
  ["NOT_FOUND", Code.NotFound, 404],
  ["ALREADY_EXISTS", Code.AlreadyExists, 409],
  ["PERMISSION_DENIED", Code.PermissionDenied, 403],
  ["RESOURCE_EXHAUSTED", Code.ResourceExhausted, 429],
  ["FAILED_PRECONDITION", Code.FailedPrecondition, 400],
  ["ABORTED", Code.Aborted, 409],
  ["OUT_OF_RANGE", Code.OutOfRange, 400],
  ["UNIMPLEMENTED", Code.Unimplemented, 501],
  ["INTERNAL", Code.Internal, 500],
  ["UNAVAILABLE", Code.Unavailable, 503],
  ["DATA_LOSS", Code.DataLoss, 500],
  ["UNAUTHENTICATED", Code.Unauthenticated, 401],
];

for (const mode of modes) {
  describe(`status mapping (${mode})`, () => {
    let gw: ErrorGateway;
    before(async () => {
      gw = await startErrorGateway(mode, {
        registry: createErrorDetailsRegistry(file_errors_v1_errors),
      });
    });
    after(() => gw.close());

    for (const [name, code, status] of table) {
      test(`${name} → ${status}`, async () => {
        const res = await request(`${gw.url}/v1/fail/${code}?message=boom%20${name}`);
        assert.equal(res.status, status, res.text);
        assert.equal(res.headers.get("content-type"), "application/json");
        assert.deepEqual(res.json, { code, message: `boom ${name}`, details: [] });
        assert.equal(
          res.headers.get("www-authenticate"),
          code === Code.Unauthenticated ? "Bearer" : null,
        );
      });
    }

    test("an error with code OK is not a success: UNKNOWN, 500", async () => {
      const res = await request(`${gw.url}/v1/fail/0?message=ok`);
      assert.equal(res.status, 500);
      assert.deepEqual(res.json, { code: Code.Unknown, message: "ok", details: [] });
    });

    test("UNAUTHENTICATED takes WWW-Authenticate from the backend's metadata", async () => {
      const res = await request(
        `${gw.url}/v1/fail/16?wwwAuthenticate=${encodeURIComponent('Basic realm="api"')}`,
      );
      assert.equal(res.status, 401);
      assert.equal(res.headers.get("www-authenticate"), 'Basic realm="api"');
    });

    test("standard google.rpc details print as Any JSON with @type", async () => {
      const res = await request(`${gw.url}/v1/fail/3?message=bad&standardDetails=true`);
      assert.equal(res.status, 400);
      assert.deepEqual(res.json, {
        code: 3,
        message: "bad",
        details: [
          {
            "@type": "type.googleapis.com/google.rpc.BadRequest",
            fieldViolations: [{ field: "name", description: "must not be empty" }],
          },
          {
            "@type": "type.googleapis.com/google.rpc.ErrorInfo",
            reason: "TEST",
            domain: "example.com",
          },
          { "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay: "3s" },
        ],
      });
    });

    test("a user detail type resolves through the registry option; an unknown one does not crash", async () => {
      const res = await request(
        `${gw.url}/v1/fail/8?message=quota&customDetail=true&unknownDetail=true`,
      );
      assert.equal(res.status, 429);
      assert.deepEqual(res.json, {
        code: 8,
        message: "quota",
        details: [
          { "@type": "type.googleapis.com/errors.v1.QuotaDetail", bucket: "b", remaining: 2 },
          { "@type": "type.googleapis.com/nobody.knows.This", value: "//4B" },
        ],
      });
    });
  });
}

describe("status mapping options", () => {
  test("without the registry option a user detail prints as bytes; wwwAuthenticate is configurable", async () => {
    const gw = await startErrorGateway("remote", { wwwAuthenticate: 'Bearer realm="x"' });
    try {
      const res = await request(`${gw.url}/v1/fail/16?customDetail=true`);
      assert.equal(res.status, 401);
      assert.equal(res.headers.get("www-authenticate"), 'Bearer realm="x"');
      const [detail] = (res.json as { details: Array<Record<string, unknown>> }).details;
      assert.equal(detail?.["@type"], "type.googleapis.com/errors.v1.QuotaDetail");
      assert.equal(typeof detail?.value, "string");
    } finally {
      await gw.close();
    }
  });

  test("wwwAuthenticate: false sends no challenge", async () => {
    const gw = await startErrorGateway("in-process", { wwwAuthenticate: false });
    try {
      const res = await request(`${gw.url}/v1/fail/16`);
      assert.equal(res.status, 401);
      assert.equal(res.headers.get("www-authenticate"), null);
    } finally {
      await gw.close();
    }
  });
});
