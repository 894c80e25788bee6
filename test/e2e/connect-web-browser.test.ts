// A real browser (Debian's chromium through playwright-core) loads a page of
// another origin that calls the example through @connectrpc/connect-web over
// Connect and gRPC-Web, with CORS, including a server stream. The page runs
// the connect-web snippet of docs/protocols.md, bundled with esbuild.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { credentials } from "@grpc/grpc-js";
import { Mux } from "@ts-gateway/runtime";
import { cors } from "@ts-gateway/runtime/policy";
import { build } from "esbuild";
import type { Browser } from "playwright-core";
import {
  addLibraryService,
  LibraryServiceClient,
  registerLibraryService,
} from "../../examples/library/src/gen/library/v1/library_gateway.js";
import { InMemoryLibrary } from "../../examples/library/src/library-service.js";
import { browserSkip, launchBrowser, STEP_MS, type TestBrowser } from "../support/browser.js";
import { repoRoot } from "../support/generate-inline.js";
import {
  type GrpcTestServer,
  type HttpTestServer,
  startGrpcServer,
  startHttpServer,
} from "../support/servers.js";

/** The connect-web snippet of docs/protocols.md (the ts block after its marker). */
function docsSnippet(): string {
  const doc = readFileSync(join(repoRoot, "docs/protocols.md"), "utf8");
  const m = /<!-- connect-web snippet: tested -->\n```ts\n([\s\S]*?)```/.exec(doc);
  assert.ok(m?.[1], "docs/protocols.md has the connect-web snippet");
  return m[1];
}

describe("connect-web in headless Chromium, across origins", {
  timeout: 120_000,
  skip: browserSkip,
}, () => {
  let backend: GrpcTestServer;
  let client: LibraryServiceClient;
  let gateway: HttpTestServer;
  let page: HttpTestServer;
  let chromium: TestBrowser | undefined;
  let browser: Browser;
  let out = "";

  before(async () => {
    backend = await startGrpcServer((s) => addLibraryService(s, new InMemoryLibrary()));
    client = new LibraryServiceClient(backend.address, credentials.createInsecure());
    // The page is served from its own origin; the gateway admits it by CORS.
    const pageBox: { origin: string } = { origin: "" };
    const mux = new Mux({ protocols: ["rest", "connect", "grpc-web"] });
    mux.use(cors({ origins: (origin) => origin === pageBox.origin }));
    registerLibraryService(mux, client);
    gateway = await startHttpServer(mux.handler);
    // The snippet, with its import pointing at the generated code, bundled for the page.
    // Outside the repository's typecheck: a temporary folder, resolving packages from the repository.
    out = await mkdtemp(join(tmpdir(), "connect-web-"));
    const snippet = docsSnippet().replace(
      "./gen/library/v1/library_pb.js",
      join(repoRoot, "examples/library/src/gen/library/v1/library_pb.ts"),
    );
    await writeFile(join(out, "connect-web-snippet.ts"), snippet);
    await writeFile(
      join(out, "connect-web-page.ts"),
      `import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcWebTransport } from "@connectrpc/connect-web";
import { LibraryService } from ${JSON.stringify(join(repoRoot, "examples/library/src/gen/library/v1/library_pb.ts"))};
import { firstBook } from "./connect-web-snippet.ts";
(window as unknown as Record<string, unknown>).firstBook = firstBook;
(window as unknown as Record<string, unknown>).missingShelf = async (baseUrl: string) => {
  const library = createClient(LibraryService, createGrpcWebTransport({ baseUrl }));
  try {
    await library.getShelf({ name: "shelves/404" });
    return "no error";
  } catch (e) {
    const err = ConnectError.from(e);
    return Code[err.code] + ": " + err.rawMessage;
  }
};
`,
    );
    const bundle = await build({
      entryPoints: [join(out, "connect-web-page.ts")],
      bundle: true,
      format: "esm",
      platform: "browser",
      target: "es2022",
      write: false,
      logLevel: "silent",
      nodePaths: [join(repoRoot, "node_modules")],
    });
    const js = bundle.outputFiles[0]?.text ?? "";
    page = await startHttpServer((req, res) => {
      if (req.url === "/app.js") {
        res.setHeader("content-type", "text/javascript");
        res.end(js);
        return;
      }
      res.setHeader("content-type", "text/html");
      res.end(
        '<!doctype html><html><body><script type="module" src="/app.js"></script></body></html>',
      );
    });
    pageBox.origin = page.url;
    chromium = await launchBrowser();
    browser = chromium.browser;
  });

  after(async () => {
    await chromium?.close();
    await page?.close();
    await gateway?.close();
    client?.close();
    await backend?.close();
    if (out !== "") await rm(out, { recursive: true, force: true });
  });

  test("the docs snippet calls the gateway over Connect and gRPC-Web, server stream included", async () => {
    const tab = await browser.newPage();
    tab.setDefaultTimeout(STEP_MS);
    const problems: string[] = [];
    tab.on("pageerror", (e) => problems.push(e.message));
    await tab.goto(page.url);
    await tab.waitForFunction(() => "firstBook" in globalThis);
    for (const protocol of ["connect", "grpc-web"]) {
      const title = await tab.evaluate(
        ([url, p]) =>
          (
            globalThis as unknown as { firstBook: (u: string, p: string) => Promise<string> }
          ).firstBook(url as string, p as string),
        [gateway.url, protocol],
      );
      assert.equal(title, "Dune", protocol);
    }
    const missing = await tab.evaluate(
      (url) =>
        (globalThis as unknown as { missingShelf: (u: string) => Promise<string> }).missingShelf(
          url,
        ),
      gateway.url,
    );
    assert.equal(missing, "NotFound: shelves/404 does not exist");
    assert.deepEqual(problems, []);
    await tab.close();
  });
});
