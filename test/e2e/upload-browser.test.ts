// A real browser (Debian's headless Chromium via playwright-core, as the docs
// page test) submits an HTML <form enctype="multipart/form-data"> with a text
// field and a file to the example's Upload route, through Express: the
// browser shows the backend's answer, whose size and sha256 are the file's.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { after, before, describe, test } from "node:test";
import { credentials } from "@grpc/grpc-js";
import express from "express";
import type { Browser } from "playwright-core";
import { createGatewayApp } from "../../examples/library/src/gateway.js";
import {
  addLibraryService,
  LibraryServiceClient,
} from "../../examples/library/src/gen/library/v1/library_gateway.js";
import { InMemoryLibrary } from "../../examples/library/src/library-service.js";
import { browserSkip, launchBrowser, STEP_MS, type TestBrowser } from "../support/browser.js";
import {
  type GrpcTestServer,
  type HttpTestServer,
  startGrpcServer,
  startHttpServer,
} from "../support/servers.js";

const page = `<!doctype html>
<form method="post" action="/v1/uploads" enctype="multipart/form-data">
  <input name="description" value="from a browser">
  <input type="file" name="file">
  <button type="submit">Upload</button>
</form>`;

describe("an HTML multipart form in headless Chromium", {
  timeout: 120_000,
  skip: browserSkip,
}, () => {
  let backend: GrpcTestServer;
  let http: HttpTestServer;
  let client: LibraryServiceClient;
  let chromium: TestBrowser | undefined;
  let browser: Browser;

  before(async () => {
    backend = await startGrpcServer((s) => addLibraryService(s, new InMemoryLibrary()));
    client = new LibraryServiceClient(backend.address, credentials.createInsecure());
    const app = express();
    app.get("/upload.html", (_req, res) => {
      res.type("html").send(page);
    });
    app.use(createGatewayApp(client));
    http = await startHttpServer(app);
    chromium = await launchBrowser();
    browser = chromium.browser;
  });
  after(async () => {
    await chromium?.close();
    await http?.close();
    client?.close();
    await backend?.close();
  });

  test("the form's file reaches the client-streaming backend byte for byte", async () => {
    const tab = await browser.newPage();
    tab.setDefaultTimeout(STEP_MS);
    await tab.goto(`${http.url}/upload.html`);
    // 300 KiB: several 64 KiB chunk messages, with every byte value.
    const file = Buffer.alloc(300 * 1024);
    for (let i = 0; i < file.length; i++) file[i] = (i * 7 + (i >> 9)) & 0xff;
    await tab.setInputFiles("input[type=file]", {
      name: "../cover photo.png",
      mimeType: "image/png",
      buffer: file,
    });
    const [response] = await Promise.all([
      tab.waitForResponse((r) => r.url().endsWith("/v1/uploads")),
      tab.click("button[type=submit]"),
    ]);
    assert.equal(response.status(), 200, await response.text());
    const answer = JSON.parse(await tab.locator("body").innerText());
    assert.deepEqual(answer, {
      description: "from a browser",
      size: String(file.length),
      sha256: createHash("sha256").update(file).digest("hex"),
      contentType: "image/png",
      messages: 1 + Math.ceil(file.length / 65536),
    });
  });
});
