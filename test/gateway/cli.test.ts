/**
 * `ts-gateway` as users run it (the bin, as a child process): config errors
 * naming file, line and key; `check` and `--print-routes`; a plain grpc-js
 * backend that knows nothing of this project served from a descriptor set;
 * the example served through its generated modules.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { parseConfig } from "../../packages/gateway/src/index.js";
import { freePort } from "../support/wait.js";
import {
  buildDescriptorSet,
  type Child,
  makeWorkdir,
  repoRoot,
  runGateway,
  startGateway,
  startLibraryBackend,
  startPlainBackend,
  stopAll,
} from "./support/processes.js";

after(stopAll);

describe("config errors name the file, line and key", () => {
  const valid = `server:
  listeners:
    - port: 8080
backends:
  inventory:
    target: dns:///inventory:50051
services:
  - descriptorSet: api.binpb
    backend: inventory
`;
  const cases: { name: string; yaml: string; env?: NodeJS.ProcessEnv; errors: string[] }[] = [
    {
      name: "an unknown key, where it is written",
      yaml: valid.replace("  listeners:", "  listners: []\n  listeners:"),
      errors: ['gw.yaml:2:3: server.listners: unknown key "listners"'],
    },
    {
      name: "a wrong type",
      yaml: valid.replace("port: 8080", "port: eighty"),
      errors: ["gw.yaml:3:7: server.listeners[0].port: Invalid input: expected number"],
    },
    {
      name: "a missing section, on its parent",
      yaml: valid.replace(/services:[\s\S]*$/, ""),
      errors: ["gw.yaml:1:1: services: missing: expected array"],
    },
    {
      name: "a bad enum value",
      yaml: valid.replace("target: dns:///inventory:50051", "target: x\n    policy: random"),
      errors: ["gw.yaml:7:5: backends.inventory.policy: Invalid option"],
    },
    {
      name: "a backend no section defines",
      yaml: valid.replace("backend: inventory", "backend: orders"),
      errors: ['gw.yaml:9:5: services[0].backend: no backend "orders" (backends: inventory)'],
    },
    {
      name: "both service sources",
      yaml: valid.replace("backend: inventory", "module: ./x_gateway.js\n    backend: inventory"),
      errors: ["gw.yaml:9:5: services[0].module: give exactly one of descriptorSet and module"],
    },
    {
      name: "an unset environment variable",
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the config's own ${NAME} syntax
      yaml: valid.replace("port: 8080", "port: ${GATEWAY_PORT}"),
      errors: ["gw.yaml:3:13: environment variable GATEWAY_PORT is not set"],
    },
    {
      name: "a YAML syntax error",
      yaml: valid.replace("    - port: 8080", "    - port: [8080"),
      errors: ["gw.yaml:4:1:"],
    },
    {
      name: "several problems at once",
      yaml: valid.replace("port: 8080", "port: -1").replace("backend: inventory", "backend: x"),
      errors: ["gw.yaml:3:7: server.listeners[0].port:"],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      assert.throws(
        () => parseConfig(c.yaml, "gw.yaml", c.env ?? {}),
        (err: Error) => {
          const lines = err.message.split("\n");
          for (const expected of c.errors) {
            assert.ok(
              lines.some((l) => l.startsWith(expected)),
              `expected a line starting ${JSON.stringify(expected)}, got:\n${err.message}`,
            );
          }
          return true;
        },
      );
    });
  }

  // biome-ignore lint/suspicious/noTemplateCurlyInString: the config's own ${NAME} syntax
  it("${NAME} and ${NAME:-default} come from the environment, typed when the whole value", () => {
    const { config } = parseConfig(
      valid
        // biome-ignore lint/suspicious/noTemplateCurlyInString: the config's own ${NAME} syntax
        .replace("port: 8080", "port: ${GATEWAY_PORT}")
        // biome-ignore lint/suspicious/noTemplateCurlyInString: the config's own ${NAME} syntax
        .replace("dns:///inventory:50051", "dns:///${BACKEND_HOST:-inventory}:50051"),
      "gw.yaml",
      { GATEWAY_PORT: "9090" },
    );
    assert.equal(config.server.listeners[0]?.port, 9090);
    assert.equal(config.backends.inventory?.target, "dns:///inventory:50051");
  });
});

describe("ts-gateway schema", () => {
  it("prints the config's JSON Schema, strict like the validation", () => {
    const { status, stdout } = runGateway(["schema"]);
    assert.equal(status, 0);
    const schema = JSON.parse(stdout) as {
      properties: Record<string, unknown>;
      required: string[];
      additionalProperties: boolean;
    };
    assert.deepEqual(schema.required.sort(), ["backends", "server", "services"]);
    assert.equal(schema.additionalProperties, false);
    assert.ok("workers" in schema.properties && "shutdown" in schema.properties);
  });
});

describe("ts-gateway check and serve from a descriptor set, before a plain grpc-js backend", () => {
  const work = makeWorkdir();
  let gateway: Child;
  let url = "";
  let config = "";

  before(async () => {
    buildDescriptorSet(join(work.dir, "api.binpb"));
    work.write(
      "api.yaml",
      `type: google.api.Service
config_version: 3
http:
  rules:
    - selector: gateway.v1.InventoryService.DeleteItem
      delete: /v1/items/{id}
`,
    );
    const backend = await startPlainBackend("go-like");
    const port = await freePort();
    config = work.write(
      "gateway.yaml",
      `# Served to a team whose backend is not in Node.
server:
  listeners:
    - host: 127.0.0.1
      port: \${PORT}
shutdown: { drainDelayMs: 0, gracePeriodMs: 2000 }
backends:
  inventory:
    target: ["127.0.0.1:${backend.port}"]
services:
  - descriptorSet: api.binpb
    apiConfiguration: api.yaml
    backend: inventory
`,
    );
    gateway = await startGateway(config, ["--print-routes"], { PORT: String(port) });
    url = `http://127.0.0.1:${port}`;
  });

  it("check prints the route table: template, method, service, RPC", () => {
    const { status, stdout } = runGateway(["check", config], { PORT: "1" });
    assert.equal(status, 0);
    const rows = stdout.split("\n").map((l) => l.trim().split(/\s+/));
    assert.deepEqual(rows[0], ["METHOD", "TEMPLATE", "SERVICE", "RPC", "BACKEND"]);
    assert.deepEqual(rows.slice(1, 5), [
      ["GET", "/v1/items/{id}", "gateway.v1.InventoryService", "GetItem", "inventory"],
      ["POST", "/v1/items", "gateway.v1.InventoryService", "CreateItem", "inventory"],
      ["GET", "/v1/items:watch", "gateway.v1.InventoryService", "WatchItems", "inventory"],
      ["DELETE", "/v1/items/{id}", "gateway.v1.InventoryService", "DeleteItem", "inventory"],
    ]);
  });

  it("serve --print-routes prints the same table before listening", () => {
    assert.match(
      gateway.output(),
      /GET\s+\/v1\/items\/\{id\}\s+gateway\.v1\.InventoryService\s+GetItem/,
    );
  });

  it("check fails with the key that led to a problem", () => {
    const bad = work.write(
      "bad.yaml",
      `server:
  listeners: [{ port: 1 }]
backends:
  inventory: { target: "127.0.0.1:1" }
services:
  - descriptorSet: missing.binpb
    backend: inventory
`,
    );
    const { status, stderr } = runGateway(["check", bad]);
    assert.equal(status, 1);
    assert.match(stderr, /bad\.yaml:6:5: services\[0\]\.descriptorSet: ENOENT/);
  });

  it("transcodes unary calls, errors, 64-bit integers and the API configuration's rules", async () => {
    const get = await fetch(`${url}/v1/items/42`);
    assert.equal(get.status, 200);
    assert.deepEqual(await get.json(), {
      id: "42",
      name: "item 42",
      servedBy: "go-like",
      quantity: "9007199254740993",
    });
    const created = await fetch(`${url}/v1/items`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ id: "7", name: "bolt", quantity: "3" }),
    });
    assert.deepEqual(await created.json(), {
      id: "7",
      name: "bolt",
      servedBy: "go-like",
      quantity: "3",
    });
    const missing = await fetch(`${url}/v1/items/missing`);
    assert.equal(missing.status, 404);
    assert.deepEqual(await missing.json(), { code: 5, message: "no item missing", details: [] });
    const deleted = await fetch(`${url}/v1/items/3`, { method: "DELETE" });
    assert.equal(((await deleted.json()) as { name: string }).name, "deleted");
    const unknown = await fetch(`${url}/v2/nothing`);
    assert.equal(unknown.status, 404);
    const wrongMethod = await fetch(`${url}/v1/items`, { method: "PUT" });
    assert.equal(wrongMethod.status, 405);
  });

  it("streams a server-streaming method as NDJSON", async () => {
    const res = await fetch(`${url}/v1/items:watch?count=3&interval_ms=5`);
    const lines = (await res.text()).trim().split("\n");
    assert.deepEqual(
      lines.map((l) => (JSON.parse(l) as { result: { id: string } }).result.id),
      ["1", "2", "3"],
    );
  });

  it("serves /readyz and /livez, and /healthz answers in the error format", async () => {
    const ready = await fetch(`${url}/readyz`);
    assert.equal(ready.status, 200);
    assert.equal(((await ready.json()) as { status: string }).status, "ready");
    assert.equal((await fetch(`${url}/livez`)).status, 200);
    // The plain backend has no grpc.health.v1 service.
    const healthz = await fetch(`${url}/healthz`);
    assert.equal(healthz.status, 501);
  });

  it("SIGHUP moves the service to another backend under load, with no failed request", async () => {
    const next = await startPlainBackend("replacement");
    work.write(
      "gateway.yaml",
      readFileSync(config, "utf8").replace(/127\.0\.0\.1:\d+/, `127.0.0.1:${next.port}`),
    );
    let stop = false;
    let failures = 0;
    const loop = (async () => {
      while (!stop) {
        const res = await fetch(`${url}/v1/items/1`).catch(() => undefined);
        if (res?.status !== 200) failures++;
        await res?.arrayBuffer();
      }
    })();
    gateway.process.kill("SIGHUP");
    let servedBy = "";
    for (let i = 0; i < 100 && servedBy !== "replacement"; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      const res = await fetch(`${url}/v1/items/2`);
      servedBy = ((await res.json()) as { servedBy: string }).servedBy;
    }
    stop = true;
    await loop;
    assert.equal(servedBy, "replacement");
    assert.equal(failures, 0);
    assert.match(gateway.output(), /reloaded: 4 routes, backends inventory/);
  });
});

describe("ts-gateway serve from generated modules (the example)", () => {
  const work = makeWorkdir();
  let url = "";

  before(async () => {
    const backend = await startLibraryBackend();
    const port = await freePort();
    const config = work.write(
      "gateway.yaml",
      `server:
  listeners: [{ host: 127.0.0.1, port: ${port} }]
  webSocket: true
mux:
  emitDefaultValues: false
backends:
  library:
    target: ["127.0.0.1:${backend.port}"]
    healthCheck: { intervalMs: 500 }
services:
  - module: ${join(repoRoot, "test/gateway/gen/library/v1/library_gateway.js")}
    backend: library
`,
    );
    await startGateway(config);
    url = `http://127.0.0.1:${port}`;
  });

  it("serves the example's routes through register<Service> and a balanced client", async () => {
    const shelf = await fetch(`${url}/v1/shelves`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ theme: "Fiction" }),
    });
    assert.equal(shelf.status, 201); // the example sets x-http-code
    const { name } = (await shelf.json()) as { name: string };
    const book = await fetch(`${url}/v1/${name}/books`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ title: "Dune", author: "Frank Herbert" }),
    });
    const created = (await book.json()) as { name: string; title: string };
    assert.equal(created.title, "Dune");
    const got = await fetch(`${url}/v1/${created.name}`);
    assert.equal(((await got.json()) as { title: string }).title, "Dune");
    const missing = await fetch(`${url}/v1/shelves/999`);
    assert.equal(missing.status, 404);
    const healthz = await fetch(`${url}/healthz`);
    assert.deepEqual(await healthz.json(), { status: "SERVING" });
  });
});
