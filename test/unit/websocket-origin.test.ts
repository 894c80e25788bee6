import assert from "node:assert/strict";
import type { IncomingMessage } from "node:http";
import { test } from "node:test";
import { originAllowed } from "../../packages/runtime/src/websocket/upgrade.js";

const cases: Array<{
  name: string;
  origin: string | undefined;
  host: string;
  allowed?: readonly string[] | ((origin: string) => boolean);
  ok: boolean;
}> = [
  { name: "no Origin (not a browser)", origin: undefined, host: "api.example", ok: true },
  { name: "same host", origin: "https://api.example", host: "api.example", ok: true },
  { name: "same host and port", origin: "http://127.0.0.1:8080", host: "127.0.0.1:8080", ok: true },
  {
    name: "same host, other port",
    origin: "http://127.0.0.1:9090",
    host: "127.0.0.1:8080",
    ok: false,
  },
  { name: "other site", origin: "https://evil.example", host: "api.example", ok: false },
  { name: "Host in upper case", origin: "https://api.example", host: "API.example", ok: true },
  { name: "Origin null", origin: "null", host: "api.example", ok: false },
  { name: "garbage", origin: "::::", host: "api.example", ok: false },
  {
    name: "listed origin",
    origin: "https://app.example",
    host: "api.example",
    allowed: ["https://app.example"],
    ok: true,
  },
  {
    name: "a list replaces the same-host default",
    origin: "https://api.example",
    host: "api.example",
    allowed: ["https://app.example"],
    ok: false,
  },
  {
    name: "predicate",
    origin: "https://x.app.example",
    host: "api.example",
    allowed: (o) => o.endsWith(".app.example"),
    ok: true,
  },
];

for (const c of cases) {
  test(`WebSocket Origin: ${c.name}`, () => {
    const req = {
      headers: { host: c.host, ...(c.origin === undefined ? {} : { origin: c.origin }) },
    } as unknown as IncomingMessage;
    assert.equal(originAllowed(req, c.allowed), c.ok);
  });
}
