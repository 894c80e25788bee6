// redactInternalErrors: INTERNAL and UNKNOWN messages (a backend's bug: stack
// traces, SQL, hostnames) replaced by a generic one, off by default as in
// grpc-gateway; other codes and the default keep the backend's message.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Code, RpcError } from "@ts-gateway/runtime";
import { resolveMuxOptions } from "../../packages/runtime/src/mux/mux-options.js";
import { ndjsonFormat, sseFormat } from "../../packages/runtime/src/stream/stream-format.js";
import { closeReason } from "../../packages/runtime/src/websocket/close-codes.js";
import { request } from "../support/servers.js";
import { modes, startErrorGateway } from "./error-fixture.js";

const rows: { code: Code; redact: boolean; message: string; details: number }[] = [
  { code: Code.Internal, redact: false, message: "db at 10.0.0.7 failed", details: 3 },
  { code: Code.Unknown, redact: false, message: "db at 10.0.0.7 failed", details: 3 },
  { code: Code.Internal, redact: true, message: "internal error", details: 0 },
  { code: Code.Unknown, redact: true, message: "internal error", details: 0 },
  { code: Code.NotFound, redact: true, message: "db at 10.0.0.7 failed", details: 3 },
  { code: Code.Unavailable, redact: true, message: "db at 10.0.0.7 failed", details: 3 },
];

for (const mode of modes) {
  describe(`redactInternalErrors (${mode})`, () => {
    for (const row of rows) {
      test(`code ${row.code} with redactInternalErrors ${row.redact} → "${row.message}"`, async () => {
        const gw = await startErrorGateway(mode, { redactInternalErrors: row.redact });
        try {
          const res = await request(
            `${gw.url}/v1/fail/${row.code}?message=${encodeURIComponent("db at 10.0.0.7 failed")}&standardDetails=true`,
          );
          const body = res.json as { code: number; message: string; details: unknown[] };
          assert.equal(body.code, row.code);
          assert.equal(body.message, row.message);
          assert.equal(body.details.length, row.details);
        } finally {
          await gw.close();
        }
      });
    }

    test("the errorHandler gets the redacted error, the original as its cause", async () => {
      const seen: RpcError[] = [];
      const gw = await startErrorGateway(mode, {
        redactInternalErrors: true,
        errorHandler: (error, _req, res) => {
          seen.push(error);
          res.writeHead(500).end();
        },
      });
      try {
        await request(`${gw.url}/v1/fail/${Code.Internal}?message=secret`);
        assert.equal(seen[0]?.rawMessage, "internal error");
        assert.equal((seen[0]?.cause as RpcError | undefined)?.rawMessage, "secret");
      } finally {
        await gw.close();
      }
    });
  });
}

describe("redactInternalErrors in stream error lines and WebSocket close reasons", () => {
  const writers: [string, (redact: boolean, error: RpcError) => string | undefined][] = [
    [
      "NDJSON error line",
      (redact, e) =>
        ndjsonFormat(
          undefined as never,
          resolveMuxOptions({ redactInternalErrors: redact }).errors,
        ).error(e),
    ],
    [
      "SSE error event",
      (redact, e) =>
        sseFormat(
          undefined as never,
          resolveMuxOptions({ redactInternalErrors: redact }).errors,
        ).error(e),
    ],
    [
      "WebSocket close reason",
      (redact, e) => closeReason(e, resolveMuxOptions({ redactInternalErrors: redact }).errors),
    ],
  ];
  for (const [name, write] of writers) {
    test(name, () => {
      const secret = new RpcError("stack at /srv/app.js:12", Code.Internal);
      assert.match(String(write(false, secret)), /stack at/);
      assert.doesNotMatch(String(write(true, secret)), /stack at/);
      assert.match(String(write(true, secret)), /"message":"internal error"/);
      const notFound = new RpcError("no such shelf", Code.NotFound);
      assert.match(String(write(true, notFound)), /no such shelf/);
    });
  }
});
