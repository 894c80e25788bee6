// Run by without-express.test.ts under test/support/block-express.mjs:
// loads generated code and the runtime, serves one request on a node:http
// mux, and prints what worked as one JSON line.
import { createServer } from "node:http";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { Mux } from "@ts-gateway/runtime";
import {
  createErrorServiceRouter,
  type ErrorServiceApi,
  registerErrorService,
} from "../gen/errors/v1/errors_gateway.js";

const codeOf = (err: unknown) => (err as { code?: string }).code ?? String(err);
const report: Record<string, unknown> = {};
try {
  await import("express");
  report.importExpress = "loaded";
} catch (err) {
  report.importExpress = codeOf(err);
}
try {
  createRequire(import.meta.url)("express");
  report.requireExpress = "loaded";
} catch (err) {
  report.requireExpress = codeOf(err);
}

const backend = {
  echo: async (request: { text: string }) => ({ text: request.text }),
} as unknown as ErrorServiceApi;
const mux = new Mux();
registerErrorService(mux, backend);
const server = createServer(mux.handler);
await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
const { port } = server.address() as AddressInfo;
const res = await fetch(`http://127.0.0.1:${port}/v1/echo/hi`);
report.status = res.status;
report.body = await res.json();
server.close();
try {
  createErrorServiceRouter(backend);
  report.createRouter = "made";
} catch (err) {
  report.createRouter = codeOf(err);
}
console.log(JSON.stringify(report));
