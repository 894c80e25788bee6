// An error that carries its own HTTP status (HttpStatusError) answers with it,
// whether an in-process implementation or a hand-written route throws it; its
// gRPC code still makes the google.rpc.Status body.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Code, HttpStatusError, Mux } from "@ts-gateway/runtime";
import { registerErrorService } from "../gen/errors/v1/errors_gateway.js";
import { type HttpTestServer, request, startHttpServer } from "../support/servers.js";
import { RecordingService } from "./error-fixture.js";

class PreconditionService extends RecordingService {
  override async fail(): Promise<Record<string, never>> {
    throw new HttpStatusError("the shelf changed", Code.FailedPrecondition, 412);
  }
}

describe("HttpStatusError", () => {
  let server: HttpTestServer;
  before(async () => {
    const mux = new Mux({ notFound: "404" });
    registerErrorService(mux, new PreconditionService());
    mux.handlePath("GET", "/limited", () => {
      throw new HttpStatusError("slow down", Code.Unavailable, 429);
    });
    server = await startHttpServer(mux.handler);
  });
  after(() => server.close());

  const cases = [
    [
      "an in-process implementation",
      "/v1/fail/3",
      412,
      Code.FailedPrecondition,
      "the shelf changed",
    ],
    ["a hand-written route", "/limited", 429, Code.Unavailable, "slow down"],
  ] as const;
  for (const [name, path, status, code, message] of cases) {
    test(`${name} answers with the error's own status`, async () => {
      const res = await request(`${server.url}${path}`);
      assert.equal(res.status, status, res.text);
      assert.deepEqual(res.json, { code, message, details: [] });
    });
  }
});
