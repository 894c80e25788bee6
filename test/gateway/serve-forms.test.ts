/**
 * Forms and uploads in `ts-gateway serve` from a descriptor set (dynamic
 * messages, no generated code) before the example's Library backend: a
 * URL-encoded POST, and a multipart upload into the client-streaming Upload
 * cut into the `limits.multipart.chunkBytes` of gateway.yaml.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { freePort } from "../support/wait.js";
import {
  bufBuild,
  makeWorkdir,
  startGateway,
  startLibraryBackend,
  stopAll,
} from "./support/processes.js";

after(stopAll);

describe("ts-gateway serve: forms and uploads from a descriptor set", { timeout: 120_000 }, () => {
  const work = makeWorkdir();
  let url = "";

  before(async () => {
    bufBuild("examples/library/proto/library/v1/library.proto", join(work.dir, "library.binpb"));
    const backend = await startLibraryBackend();
    const port = await freePort();
    const config = work.write(
      "gateway.yaml",
      `server:
  listeners: [{ host: 127.0.0.1, port: ${port} }]
limits:
  multipart:
    chunkBytes: 16384
backends:
  library:
    target: ["127.0.0.1:${backend.port}"]
services:
  - descriptorSet: library.binpb
    backend: library
`,
    );
    await startGateway(config);
    url = `http://127.0.0.1:${port}`;
  });

  it("a URL-encoded form creates a shelf", async () => {
    const res = await fetch(`${url}/v1/shelves`, {
      method: "POST",
      body: new URLSearchParams({ theme: "Fiction" }),
    });
    assert.equal(res.status, 201);
    assert.equal(((await res.json()) as { theme: string }).theme, "Fiction");
  });

  it("a multipart upload streams in chunkBytes messages", async () => {
    const file = Buffer.alloc(200_000, 7);
    const form = new FormData();
    form.set("description", "dynamic");
    form.set("file", new Blob([file], { type: "text/plain" }), "a.txt");
    const res = await fetch(`${url}/v1/uploads`, { method: "POST", body: form });
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), {
      description: "dynamic",
      size: "200000",
      sha256: createHash("sha256").update(file).digest("hex"),
      contentType: "text/plain",
      messages: 1 + Math.ceil(200_000 / 16_384),
    });
  });
});
