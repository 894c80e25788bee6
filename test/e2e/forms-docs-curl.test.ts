// The curl lines of docs/forms-and-uploads.md, run as written against the
// example (a child process, `npm start`): the form POST creates a shelf, the
// upload answers the file's size and sha256.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { type ExampleProcess, startExample } from "../support/example-process.js";
import { tempDir } from "../support/temp-dirs.js";

const doc = readFileSync(new URL("../../docs/forms-and-uploads.md", import.meta.url), "utf8");
const curls = doc
  .split("\n")
  .filter((line) => line.startsWith("curl "))
  .map((line) => line.trim());

describe("docs/forms-and-uploads.md curl lines", { timeout: 120_000 }, () => {
  let example: ExampleProcess;
  const dir = tempDir("ts-gateway-forms-");
  const cover = Buffer.from(Array.from({ length: 48_213 }, (_, i) => (i * 31) & 0xff));
  before(async () => {
    writeFileSync(join(dir, "cover.jpg"), cover);
    example = await startExample();
  });
  after(() => example?.kill());

  const run = (line: string) =>
    execFileSync("sh", ["-c", line.replaceAll("http://127.0.0.1:8080", example.url)], {
      cwd: dir,
      timeout: 30_000,
    }).toString();

  test("the page shows a form POST and an upload", () => {
    assert.equal(curls.length, 2, curls.join("\n"));
  });

  test("the form POST creates a shelf", () => {
    const shelf = JSON.parse(run(curls[0] ?? ""));
    assert.equal(shelf.theme, "Fiction");
    assert.match(shelf.name, /^shelves\/\d+$/);
  });

  test("the upload answers the file's size and sha256", () => {
    const answer = JSON.parse(run(curls[1] ?? ""));
    assert.deepEqual(answer, {
      description: "cover",
      size: String(cover.length),
      sha256: createHash("sha256").update(cover).digest("hex"),
      contentType: "image/jpeg",
      messages: 2,
    });
  });

  test("the pipeline counts the upload: the access log's bytes_in and messages_in", async () => {
    const deadline = Date.now() + 10_000;
    let line: { bytes_in: number; messages_in: number } | undefined;
    while (line === undefined && Date.now() < deadline) {
      line = example
        .output()
        .split("\n")
        .filter((l) => l.includes('"path":"/v1/uploads"'))
        .map((l) => JSON.parse(l))[0];
      if (line === undefined) await new Promise((r) => setTimeout(r, 50));
    }
    assert.ok(line !== undefined, "no access log line for the upload");
    assert.ok(line.bytes_in > cover.length, `bytes_in ${line.bytes_in}`);
    assert.equal(line.messages_in, 2);
  });

  test("the example's /openapi.json lists the upload as multipart/form-data with a binary file", async () => {
    const spec = (await (await fetch(`${example.url}/openapi.json`)).json()) as {
      paths: Record<string, Record<string, { requestBody: { content: Record<string, any> } }>>;
    };
    const multipart = spec.paths["/v1/uploads"]?.post?.requestBody.content["multipart/form-data"];
    assert.equal(multipart?.schema.properties.file.format, "binary");
    assert.deepEqual(multipart?.encoding, { file: { contentType: "*/*" } });
  });
});
