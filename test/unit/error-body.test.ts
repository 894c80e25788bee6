import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { create, toBinary } from "@bufbuild/protobuf";
import type { Any } from "@bufbuild/protobuf/wkt";
import { anyPack } from "@bufbuild/protobuf/wkt";
import {
  createErrorDetailsRegistry,
  errorBody,
  errorDetailsRegistry,
} from "../../packages/runtime/src/core/error-body.js";
import { Code, RpcError, type RpcErrorDetail } from "../../packages/runtime/src/core/rpc-error.js";
import {
  BadRequestSchema,
  ErrorInfoSchema,
  HelpSchema,
  LocalizedMessageSchema,
  RetryInfoSchema,
} from "../../packages/runtime/src/proto/google/rpc/error_details_pb.js";
import { HealthCheckRequestSchema } from "../../packages/runtime/src/proto/grpc/health/v1/health_pb.js";

const errorInfo = anyPack(
  ErrorInfoSchema,
  create(ErrorInfoSchema, { reason: "QUOTA", domain: "example.com", metadata: { k: "v" } }),
);
/** A user type that the default registry does not know. */
const userDetail = anyPack(
  HealthCheckRequestSchema,
  create(HealthCheckRequestSchema, { service: "books" }),
);
const corrupt: Any = { ...errorInfo, value: new Uint8Array([0xff, 0xff, 0xff]) };

describe("errorBody", () => {
  const cases: Array<{ name: string; error: RpcError; want: unknown }> = [
    {
      name: "no details",
      error: new RpcError("book not found", Code.NotFound),
      want: { code: 5, message: "book not found", details: [] },
    },
    {
      name: "an empty message",
      error: new RpcError("", Code.Internal),
      want: { code: 13, message: "", details: [] },
    },
    {
      name: "quotes, newlines and unicode stay valid JSON",
      error: new RpcError('bad "name"\n\u2028 ü \ud800', Code.InvalidArgument),
      want: { code: 3, message: 'bad "name"\n\u2028 ü \ud800', details: [] },
    },
    {
      name: "a packed detail prints with @type",
      error: new RpcError("quota", Code.ResourceExhausted, { details: [errorInfo] }),
      want: {
        code: 8,
        message: "quota",
        details: [
          {
            "@type": "type.googleapis.com/google.rpc.ErrorInfo",
            reason: "QUOTA",
            domain: "example.com",
            metadata: { k: "v" },
          },
        ],
      },
    },
    {
      name: "an outgoing { desc, value } detail, including a type outside the registry",
      error: new RpcError("bad", Code.InvalidArgument, {
        details: [
          {
            desc: BadRequestSchema,
            value: { fieldViolations: [{ field: "name", description: "required" }] },
          },
          { desc: RetryInfoSchema, value: { retryDelay: { seconds: 2n } } },
          { desc: HealthCheckRequestSchema, value: { service: "s" } },
        ],
      }),
      want: {
        code: 3,
        message: "bad",
        details: [
          {
            "@type": "type.googleapis.com/google.rpc.BadRequest",
            fieldViolations: [{ field: "name", description: "required" }],
          },
          { "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay: "2s" },
          { "@type": "type.googleapis.com/grpc.health.v1.HealthCheckRequest", service: "s" },
        ],
      },
    },
    {
      name: "an unknown type and corrupt bytes print as @type and base64 value",
      error: new RpcError("x", Code.Unknown, { details: [userDetail, corrupt] }),
      want: {
        code: 2,
        message: "x",
        details: [
          {
            "@type": "type.googleapis.com/grpc.health.v1.HealthCheckRequest",
            value: Buffer.from(userDetail.value).toString("base64"),
          },
          { "@type": "type.googleapis.com/google.rpc.ErrorInfo", value: "////" },
        ],
      },
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const text = errorBody(c.error);
      assert.deepEqual(JSON.parse(text), c.want);
    });
  }

  it("prints user types from an extended registry", () => {
    const registry = createErrorDetailsRegistry(HealthCheckRequestSchema);
    const error = new RpcError("x", Code.Unknown, { details: [userDetail, errorInfo] });
    const body = JSON.parse(errorBody(error, registry));
    assert.deepEqual(body.details[0], {
      "@type": "type.googleapis.com/grpc.health.v1.HealthCheckRequest",
      service: "books",
    });
    assert.equal(body.details[1].reason, "QUOTA");
  });

  it("passes JSON options to the details", () => {
    const error = new RpcError("bad", Code.InvalidArgument, {
      details: [{ desc: BadRequestSchema, value: { fieldViolations: [{ field: "f" }] } }],
    });
    const body = JSON.parse(errorBody(error, undefined, { useProtoFieldName: true }));
    assert.deepEqual(body.details[0].field_violations, [{ field: "f" }]);
  });

  it("knows every google.rpc error detail type by default", () => {
    for (const name of [
      "ErrorInfo",
      "RetryInfo",
      "DebugInfo",
      "QuotaFailure",
      "PreconditionFailure",
      "BadRequest",
      "RequestInfo",
      "ResourceInfo",
      "Help",
      "LocalizedMessage",
    ]) {
      assert.ok(errorDetailsRegistry.getMessage(`google.rpc.${name}`), name);
    }
  });

  it("prints many mixed details in order", () => {
    const details: RpcErrorDetail[] = [
      { desc: HelpSchema, value: { links: [{ description: "d", url: "https://x" }] } },
      anyPack(
        LocalizedMessageSchema,
        create(LocalizedMessageSchema, { locale: "de", message: "m" }),
      ),
      {
        $typeName: "google.protobuf.Any",
        typeUrl: "",
        value: toBinary(ErrorInfoSchema, create(ErrorInfoSchema)),
      },
    ];
    const body = JSON.parse(errorBody(new RpcError("m", Code.Aborted, { details })));
    assert.deepEqual(
      body.details.map((d: { "@type"?: string }) => d["@type"]),
      [
        "type.googleapis.com/google.rpc.Help",
        "type.googleapis.com/google.rpc.LocalizedMessage",
        undefined,
      ],
    );
    // An Any without a type URL is printed the way protobuf-es prints it: {}.
    assert.deepEqual(body.details[2], {});
  });
});
