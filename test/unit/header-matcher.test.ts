import assert from "node:assert/strict";
import type { IncomingHttpHeaders } from "node:http";
import { describe, it } from "node:test";
import { Metadata, type MetadataValue } from "@grpc/grpc-js";
import { forwardedFor } from "../../packages/runtime/src/headers/forwarded-for.js";
import {
  defaultHeaderMatcher,
  type HeaderMatcher,
  metadataFromHeaders,
  metadataTrailerPrefix,
} from "../../packages/runtime/src/headers/header-matcher.js";
import { headersFromMetadata } from "../../packages/runtime/src/headers/outgoing-headers.js";

/** Metadata as a plain object, Buffers as `b64:<base64>`. */
function plain(md: Metadata): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [key, values] of Object.entries(md.toJSON())) {
    out[key] = values.map((v: MetadataValue) =>
      typeof v === "string" ? v : `b64:${v.toString("base64")}`,
    );
  }
  return out;
}

describe("defaultHeaderMatcher", () => {
  const cases: Array<[string, string | undefined]> = [
    ["grpc-metadata-tenant", "tenant"],
    ["grpc-metadata-trace-bin", "trace-bin"],
    ["authorization", "authorization"],
    ["user-agent", "grpcgateway-user-agent"],
    ["accept", "grpcgateway-accept"],
    ["cookie", "grpcgateway-cookie"],
    ["if-none-match", "grpcgateway-if-none-match"],
    ["traceparent", "traceparent"],
    ["tracestate", "tracestate"],
    ["x-request-id", "x-request-id"],
    ["x-custom", undefined],
    ["content-length", undefined],
    ["grpc-metadata", undefined],
  ];
  for (const [name, key] of cases) {
    it(`maps ${name} to ${key}`, () => {
      assert.equal(defaultHeaderMatcher(name), key);
    });
  }
});

describe("metadataFromHeaders", () => {
  const cases: Array<{
    name: string;
    headers: IncomingHttpHeaders;
    matcher?: HeaderMatcher;
    peer?: string;
    want: Record<string, string[]>;
  }> = [
    {
      name: "prefixed, authorization, permanent and tracing headers",
      headers: {
        "grpc-metadata-tenant": "acme",
        authorization: "Bearer t",
        "user-agent": "curl/8",
        traceparent: "00-abc-def-01",
        "x-request-id": "r1",
        "x-other": "dropped",
      },
      want: {
        tenant: ["acme"],
        authorization: ["Bearer t"],
        "grpcgateway-user-agent": ["curl/8"],
        traceparent: ["00-abc-def-01"],
        "x-request-id": ["r1"],
      },
    },
    {
      name: "-bin values are base64-decoded, padded, unpadded and comma-separated",
      headers: { "grpc-metadata-blob-bin": "AQID, AQ==", "grpc-metadata-raw-bin": "AQ" },
      want: { "blob-bin": ["b64:AQID", "b64:AQ=="], "raw-bin": ["b64:AQ=="] },
    },
    {
      name: "array values each become a value",
      headers: { "grpc-metadata-tag": ["a", "b"] },
      want: { tag: ["a", "b"] },
    },
    {
      name: "hop-by-hop, pseudo, grpc-timeout and Connection-listed headers never pass",
      headers: {
        connection: "keep-alive, X-Secret",
        "keep-alive": "timeout=5",
        te: "trailers",
        "transfer-encoding": "chunked",
        upgrade: "h2c",
        "proxy-authorization": "Basic x",
        host: "example.com",
        ":path": "/v1/x",
        "grpc-timeout": "1S",
        "x-secret": "s",
        "x-kept": "k",
      },
      matcher: (name) => name,
      want: { "x-kept": ["k"] },
    },
    {
      name: "reserved and illegal keys from Grpc-Metadata- are dropped",
      headers: {
        "grpc-metadata-connection": "close",
        "grpc-metadata-te": "x",
        "grpc-metadata-content-type": "text/plain",
        "grpc-metadata-user-agent": "x",
        "grpc-metadata-grpc-status": "0",
        "grpc-metadata-grpc-timeout": "1S",
        "grpc-metadata-grpc-internal-encoding-request": "gzip",
        "grpc-metadata-": "empty",
        "grpc-metadata-a!b": "bang",
        "grpc-metadata-grpc-trace-bin": "AA==",
        "grpc-metadata-grpc-previous-rpc-attempts": "3",
        "grpc-metadata-grpc-retry-pushback-ms": "0",
        "grpc-metadata-grpc-anything": "x",
        "grpc-metadata-tenant": "kept",
      },
      want: { tenant: ["kept"] },
    },
    {
      name: "no grpc- key passes, whatever a matcher returns",
      headers: { "x-attempts": "3", "x-tenant": "t" },
      matcher: (name) => (name === "x-attempts" ? "grpc-previous-rpc-attempts" : "tenant"),
      want: { tenant: ["t"] },
    },
    {
      name: "non-ASCII in an implicitly forwarded header is dropped",
      headers: { cookie: "name=Jürgen", accept: "a/b" },
      want: { "grpcgateway-accept": ["a/b"] },
    },
    {
      name: "a custom matcher replaces the default and may extend it",
      headers: { "x-tenant": "acme", "user-agent": "ua", "grpc-metadata-k": "v" },
      matcher: (name) => (name === "x-tenant" ? "Tenant" : defaultHeaderMatcher(name)),
      want: { tenant: ["acme"], "grpcgateway-user-agent": ["ua"], k: ["v"] },
    },
    {
      name: "a matcher returning false drops",
      headers: { authorization: "x" },
      matcher: () => false,
      want: {},
    },
    {
      name: "peerAddress adds x-forwarded-for and x-forwarded-host",
      headers: { host: "api.example.com", "x-forwarded-for": "10.0.0.1" },
      peer: "::ffff:127.0.0.1",
      want: { "x-forwarded-for": ["10.0.0.1, 127.0.0.1"], "x-forwarded-host": ["api.example.com"] },
    },
    {
      name: "an incoming X-Forwarded-Host wins over Host",
      headers: { host: "internal", "x-forwarded-host": "public.example.com" },
      peer: "::1",
      want: { "x-forwarded-for": ["::1"], "x-forwarded-host": ["public.example.com"] },
    },
    {
      name: "without peerAddress, forwarding headers are left to the caller",
      headers: { host: "h", "x-forwarded-for": "1.2.3.4", "x-forwarded-host": "f" },
      matcher: (name) => name,
      want: {},
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const result = metadataFromHeaders(c.headers, {
        headerMatcher: c.matcher,
        peerAddress: c.peer,
      });
      assert.ok(result.ok, result.ok ? "" : result.message);
      assert.deepEqual(plain(result.metadata), c.want);
    });
  }

  const errors: Array<[string, IncomingHttpHeaders, RegExp]> = [
    ["bad base64", { "grpc-metadata-x-bin": "not base64!" }, /grpc-metadata-x-bin/],
    ["base64 with a stray =", { "grpc-metadata-x-bin": "QQ=" }, /invalid base64/],
    ["base64 of impossible length", { "grpc-metadata-x-bin": "QUFBQ" }, /invalid base64/],
    ["non-ASCII in an explicit header", { "grpc-metadata-name": "Jürgen" }, /grpc-metadata-name/],
    ["control character", { "grpc-metadata-name": "a\tb" }, /not printable ASCII/],
  ];
  for (const [name, headers, message] of errors) {
    it(`is an error result for ${name}`, () => {
      const result = metadataFromHeaders(headers);
      assert.equal(result.ok, false);
      if (!result.ok) assert.match(result.message, message);
    });
  }
});

describe("forwardedFor", () => {
  const cases: Array<[string | string[] | undefined, string | undefined, string | undefined]> = [
    [undefined, "1.2.3.4", "1.2.3.4"],
    ["", "1.2.3.4", "1.2.3.4"],
    ["10.0.0.1", "1.2.3.4", "10.0.0.1, 1.2.3.4"],
    [["10.0.0.1", "10.0.0.2"], "1.2.3.4", "10.0.0.1, 10.0.0.2, 1.2.3.4"],
    ["10.0.0.1", undefined, "10.0.0.1"],
    [undefined, undefined, undefined],
    [undefined, "::ffff:192.168.0.1", "192.168.0.1"],
    [undefined, "2001:db8::1", "2001:db8::1"],
  ];
  for (const [existing, peer, want] of cases) {
    it(`${JSON.stringify(existing)} + ${peer} → ${want}`, () => {
      assert.equal(forwardedFor(existing, peer), want);
    });
  }
});

describe("headersFromMetadata", () => {
  function md(entries: Array<[string, string | Buffer]>): Metadata {
    const m = new Metadata();
    for (const [k, v] of entries) m.add(k, v);
    return m;
  }

  it("prefixes keys, base64-encodes -bin values and skips gRPC internals", () => {
    const metadata = md([
      ["x-id", "1"],
      ["x-id", "2"],
      ["blob-bin", Buffer.from([1, 2, 3])],
      ["content-type", "application/grpc"],
      ["grpc-status", "0"],
      ["grpc-message", "m"],
      ["grpc-status-details-bin", Buffer.from([0])],
      ["grpc-encoding", "identity"],
      ["grpc-accept-encoding", "gzip"],
      ["user-agent", "grpc-node-js"],
      ["date", "Sat, 21 Nov 2026 11:11:11 GMT"],
    ]);
    assert.deepEqual(headersFromMetadata(metadata), [
      ["Grpc-Metadata-x-id", "1"],
      ["Grpc-Metadata-x-id", "2"],
      ["Grpc-Metadata-blob-bin", "AQID"],
    ]);
  });

  it("uses the trailer prefix", () => {
    assert.deepEqual(headersFromMetadata(md([["k", "v"]]), metadataTrailerPrefix), [
      ["Grpc-Trailer-k", "v"],
    ]);
  });

  it("lets a matcher choose the full header name or drop the key", () => {
    const metadata = md([
      ["x-request-id", "r"],
      ["secret", "s"],
      ["other", "o"],
      ["bad", "b"],
    ]);
    const matcher = (key: string) => {
      if (key === "x-request-id") return "X-Request-Id";
      if (key === "secret") return false;
      if (key === "bad") return "Bad Name";
      return `X-Md-${key}`;
    };
    assert.deepEqual(headersFromMetadata(metadata, "ignored-", matcher), [
      ["X-Request-Id", "r"],
      ["X-Md-other", "o"],
    ]);
  });
});
