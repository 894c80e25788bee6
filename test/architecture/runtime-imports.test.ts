// A mux-only user loads none of the runtime's optional peers: importing
// @ts-gateway/runtime and serving a request through a Mux loads neither ws,
// cockatiel, etcd3, Express, prom-client nor OpenTelemetry; each loads where
// its feature starts (a child process records what it loads, CommonJS
// `createRequire` loads included).
import assert from "node:assert/strict";
import { test } from "node:test";
import { assertLoaded, modulesLoadedBy, packagesAmong } from "../support/loaded-modules.js";

const optional = ["ws", "cockatiel", "etcd3", "express", "prom-client", "@opentelemetry/api"];

/** Imports the root entry, makes a Mux with `options` and serves one request through it. */
const muxScript = (options: string) => `
import { createServer } from "node:http";
const { Mux } = await import("@ts-gateway/runtime");
const mux = new Mux(${options});
mux.handlePath("GET", "/v1/ping", (req, res) => res.end("pong"));
const server = createServer((req, res) => mux.handle(req, res));
await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
const res = await fetch(\`http://127.0.0.1:\${server.address().port}/v1/ping\`);
if ((await res.text()) !== "pong") throw new Error("no pong");
server.close();
server.closeAllConnections();
`;

const cases: Array<{ name: string; options: string; loads: string[] }> = [
  { name: "a Mux without webSocket", options: "{}", loads: [] },
  { name: "a Mux with webSocket: true", options: "{ webSocket: true }", loads: ["ws"] },
];

for (const { name, options, loads } of cases) {
  test(`@ts-gateway/runtime and ${name} load ${loads.join(", ") || "no optional peer"}`, async () => {
    const loaded = await modulesLoadedBy(muxScript(options));
    assertLoaded(loaded, "/runtime/dist/mux/mux.js");
    assert.deepEqual(packagesAmong(loaded, optional), loads);
  });
}
