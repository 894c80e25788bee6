// No silent no-ops: the options `ts-gateway check` warns about, and the keys a
// SIGHUP reload says need a restart, one row each.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  restartOnlyChanges,
  unusedOptions,
} from "../../packages/gateway/src/config/config-notes.js";
import { parseConfig } from "../../packages/gateway/src/config/load-config.js";

const base = `server:
  listeners: [{ port: 8080 }]
backends:
  inventory: { target: "127.0.0.1:9090" }
services:
  - { descriptorSet: api.binpb, backend: inventory }
`;

const parse = (extra: string) => parseConfig(base + extra, "/etc/gw/gateway.yaml", {});

describe("unusedOptions", () => {
  const cases: { name: string; extra: string; warnings: string[] }[] = [
    { name: "a config that uses everything", extra: "", warnings: [] },
    {
      name: "mux.allowedOrigins without server.webSocket",
      extra: `mux:\n  allowedOrigins: ["https://app.example"]\n`,
      warnings: ["gateway.yaml:8:3: mux.allowedOrigins: does nothing without server.webSocket"],
    },
    {
      name: "a section switched off with settings",
      extra: `docs:\n  enabled: false\n  spec: api.json\n`,
      warnings: ["gateway.yaml:7:1: docs: enabled is false, so spec does nothing"],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const loaded = parse(c.extra);
      const got = unusedOptions(loaded.config).map((n) => `${loaded.where(n.key)}: ${n.message}`);
      assert.equal(got.length, c.warnings.length, got.join("\n"));
      for (const [i, w] of c.warnings.entries())
        assert.ok(got[i]?.endsWith(w) || got[i]?.includes(w), `${got[i]} ~ ${w}`);
    });
  }

  it("a backend no service uses", () => {
    const loaded = parseConfig(
      base.replace("backends:\n", 'backends:\n  spare: { target: "127.0.0.1:9091" }\n'),
      "/etc/gw/gateway.yaml",
      {},
    );
    const notes = unusedOptions(loaded.config);
    assert.deepEqual(notes, [{ key: ["backends", "spare"], message: "no service uses it" }]);
    assert.match(loaded.where(notes[0]!.key), /gateway\.yaml:4:\d+: backends\.spare/);
  });
});

describe("restartOnlyChanges", () => {
  const rows: { change: string; keys: string[] }[] = [
    { change: "", keys: [] },
    { change: "  workerHeader: true\n", keys: ["server.workerHeader"] },
    { change: "  keepAliveTimeoutMs: 10000\n", keys: ["server.keepAliveTimeoutMs"] },
    { change: "  headersTimeoutMs: 10000\n", keys: ["server.headersTimeoutMs"] },
    { change: "  requestTimeoutMs: 10000\n", keys: ["server.requestTimeoutMs"] },
    { change: "  bodyIdleTimeoutMs: 10000\n", keys: ["server.bodyIdleTimeoutMs"] },
    { change: "  maxConnections: 10\n", keys: ["server.maxConnections"] },
    { change: "  webSocket: true\n", keys: [] },
  ];
  for (const row of rows) {
    it(`server: ${row.change.trim() || "(no change)"} -> ${row.keys.join(", ") || "nothing"}`, () => {
      const before = parseConfig(base, "/gw.yaml", {}).config;
      const after = parseConfig(
        base.replace("server:\n", `server:\n${row.change}`),
        "/gw.yaml",
        {},
      ).config;
      assert.deepEqual(restartOnlyChanges(before, after), row.keys);
    });
  }

  it("listeners, workers and the once-built sections too", () => {
    const before = parseConfig(base, "/gw.yaml", {}).config;
    const after = parseConfig(
      `${base.replace("port: 8080", "port: 8081")}workers: 2\nmetrics: {}\n`,
      "/gw.yaml",
      {},
    ).config;
    assert.deepEqual(restartOnlyChanges(before, after), ["server.listeners", "workers", "metrics"]);
  });
});
