// The docs page in a real headless Chromium (Debian's `chromium`, installed by
// .ci/run): Swagger UI loads from the gateway itself, renders every operation
// of the example's document, and "Try it out" on GET /v1/shelves/{shelf}
// against the live gateway shows the shelf's JSON. A screenshot is kept in
// test/out/ (gitignored).
import assert from "node:assert/strict";
import { mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { credentials } from "@grpc/grpc-js";
import type { Browser, Page } from "playwright-core";
import { createGatewayApp, librarySpecFile } from "../../examples/library/src/gateway.js";
import {
  addLibraryService,
  LibraryServiceClient,
} from "../../examples/library/src/gen/library/v1/library_gateway.js";
import { InMemoryLibrary } from "../../examples/library/src/library-service.js";
import { browserSkip, launchBrowser, STEP_MS, type TestBrowser } from "../support/browser.js";
import { repoRoot } from "../support/generate-inline.js";
import {
  type GrpcTestServer,
  type HttpTestServer,
  request,
  startGrpcServer,
  startHttpServer,
} from "../support/servers.js";

describe("the docs page in headless Chromium", {
  timeout: 120_000,
  skip: browserSkip,
}, () => {
  let backend: GrpcTestServer;
  let http: HttpTestServer;
  let client: LibraryServiceClient;
  let chromium: TestBrowser | undefined;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];

  before(async () => {
    backend = await startGrpcServer((s) => addLibraryService(s, new InMemoryLibrary()));
    client = new LibraryServiceClient(backend.address, credentials.createInsecure());
    http = await startHttpServer(createGatewayApp(client));
    const created = await request(`${http.url}/v1/shelves`, {
      method: "POST",
      json: { theme: "Fiction" },
    });
    assert.equal(created.status, 201);
    chromium = await launchBrowser();
    browser = chromium.browser;
    page = await browser.newPage({ viewport: { width: 1280, height: 1600 } });
    page.setDefaultTimeout(STEP_MS);
    // Anything loaded from elsewhere than the gateway, and any console error
    // (a CSP violation, a failed asset), is a failure.
    page.on("request", (r) => {
      if (!r.url().startsWith(http.url) && !r.url().startsWith("data:")) {
        problems.push(`request to ${r.url()}`);
      }
    });
    page.on("console", (m) => {
      if (m.type() === "error") problems.push(`console: ${m.text()}`);
    });
    page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  });

  after(async () => {
    await chromium?.close();
    await http?.close();
    client?.close();
    await backend?.close();
  });

  test("every operation of the document renders", async () => {
    const doc = JSON.parse(await readFile(librarySpecFile, "utf8"));
    const operations = Object.values(doc.paths).flatMap((item) => Object.keys(item as object));
    await page.goto(`${http.url}/docs`);
    await page.locator(".opblock").first().waitFor();
    assert.equal(await page.locator(".opblock").count(), operations.length);
    const get = page.locator("#operations-LibraryService-LibraryService_GetShelf");
    assert.match(
      await get.locator(".opblock-summary-path").innerText(),
      /\/v1\/shelves\/\{shelf\}/,
    );
  });

  test('"Try it out" on GET /v1/shelves/{shelf} shows the shelf from the live gateway', async () => {
    const op = page.locator("#operations-LibraryService-LibraryService_GetShelf");
    await op.locator(".opblock-summary").first().click();
    await op.locator("button.try-out__btn").click();
    await op.locator('tr[data-param-name="shelf"] input').fill("1");
    await op.locator("button.execute").click();
    const body = op.locator(".live-responses-table .response-col_description pre").first();
    await body.waitFor();
    const shown = JSON.parse(await body.innerText());
    assert.equal(shown.name, "shelves/1");
    assert.equal(shown.theme, "Fiction");
    assert.match(
      await op.locator(".live-responses-table .response .response-col_status").first().innerText(),
      /200/,
    );
    const out = join(repoRoot, "test/out");
    await mkdir(out, { recursive: true });
    await page.screenshot({ path: join(out, "openapi-docs.png"), fullPage: false });
    assert.deepEqual(problems, []);
  });
});
