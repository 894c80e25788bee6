// The README's quick-start curl lines, run in order against the example gateway
// (generated client → real grpc-js backend): each answers JSON with the status
// the README promises (2xx, or the 404 it calls out).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, test } from "node:test";
import { credentials } from "@grpc/grpc-js";
import { createGatewayApp } from "../../examples/library/src/gateway.js";
import {
  addLibraryService,
  LibraryServiceClient,
} from "../../examples/library/src/gen/library/v1/library_gateway.js";
import { InMemoryLibrary } from "../../examples/library/src/library-service.js";
import { type HttpTestServer, startGrpcServer, startHttpServer } from "../support/servers.js";

interface CurlLine {
  line: string;
  method: string;
  path: string;
  body: string | undefined;
  expect404: boolean;
}

/** The `curl` lines of the README's "Quick start" section, parsed (only the flags the README uses). */
function quickStartCurlLines(): CurlLine[] {
  const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
  const section = readme.slice(
    readme.indexOf("## Quick start"),
    readme.indexOf("\n## ", readme.indexOf("## Quick start") + 1),
  );
  const lines = section.split("\n").filter((l) => l.startsWith("curl "));
  return lines.map((line) => {
    const url = /'?(http:\/\/127\.0\.0\.1:8080[^\s']*)'?/.exec(line)?.[1];
    assert.ok(url, `no URL in ${line}`);
    const body = /--json '([^']*)'/.exec(line)?.[1];
    const method = /-X (\w+)/.exec(line)?.[1] ?? (body === undefined ? "GET" : "POST");
    return {
      line,
      method,
      path: url.slice("http://127.0.0.1:8080".length),
      body,
      expect404: /# 404/.test(line),
    };
  });
}

const curlLines = quickStartCurlLines();
let backend: Awaited<ReturnType<typeof startGrpcServer>>;
let client: LibraryServiceClient;
let http: HttpTestServer;

before(async () => {
  backend = await startGrpcServer((s) => addLibraryService(s, new InMemoryLibrary()));
  client = new LibraryServiceClient(backend.address, credentials.createInsecure());
  http = await startHttpServer(createGatewayApp(client));
});
after(async () => {
  await http.close();
  client.close();
  await backend.close();
});

test("the README has quick-start curl lines", () => {
  assert.ok(curlLines.length >= 6, `found ${curlLines.length}`);
});

test("each quick-start curl line answers JSON with the promised status, in order", async () => {
  for (const c of curlLines) {
    const res = await fetch(http.url + c.path, {
      method: c.method,
      // curl --json sends these two headers
      headers:
        c.body === undefined
          ? {}
          : { "content-type": "application/json", accept: "application/json" },
      ...(c.body === undefined ? {} : { body: c.body }),
    });
    const text = await res.text();
    assert.match(res.headers.get("content-type") ?? "", /application\/json/, c.line);
    const json = JSON.parse(text);
    if (c.expect404) {
      assert.equal(res.status, 404, c.line);
      assert.equal(json.code, 5);
    } else {
      assert.ok(res.status >= 200 && res.status < 300, `${c.line} → ${res.status} ${text}`);
    }
  }
});
