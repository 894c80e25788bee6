/** The health endpoints mounted on a real gateway mux with `mountHealth`. */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { HealthCheckResponse_ServingStatus as Status } from "@ts-gateway/runtime/health";
import { type HaBackend, startHaBackend } from "../support/ha-backend.js";
import { type HaGateway, startHaGateway } from "../support/ha-gateway.js";
import { eventually } from "../support/wait.js";

interface Row {
  name: string;
  method?: string;
  path: string;
  /** Runs before the request. */
  setup?: () => void;
  status: number;
  /** Expected subset of the JSON body (none for HEAD). */
  body?: Record<string, unknown>;
}

async function call(
  url: string,
  method = "GET",
): Promise<{ status: number; body: unknown; headers: Headers }> {
  const res = await fetch(url, { method });
  const text = await res.text();
  return {
    status: res.status,
    headers: res.headers,
    body: text === "" ? undefined : JSON.parse(text),
  };
}

function assertSubset(actual: unknown, expected: Record<string, unknown>, what: string): void {
  for (const [key, value] of Object.entries(expected)) {
    assert.deepEqual(
      (actual as Record<string, unknown>)[key],
      value,
      `${what}: ${key} in ${JSON.stringify(actual)}`,
    );
  }
}

describe("mountHealth on the gateway mux", () => {
  let backend: HaBackend;
  let gw: HaGateway;
  let custom: HaGateway;
  let draining = false;
  before(async () => {
    backend = await startHaBackend("h");
    gw = await startHaGateway(
      [backend.address],
      { healthCheck: { intervalMs: 200 } },
      {
        health: { isDraining: () => draining },
      },
    );
    custom = await startHaGateway(
      [backend.address],
      {},
      {
        health: { paths: { healthz: "/-/health", readyz: "/-/ready", livez: false } },
        mux: {
          errorHandler: (error, _req, res) => {
            res.statusCode = 599;
            res.setHeader("content-type", "text/plain");
            res.end(`custom ${error.code}`);
          },
        },
      },
    );
    await eventually(async () => (await call(`${gw.url}/readyz`)).status === 200, 10_000, "ready");
  });
  after(async () => {
    await gw.close();
    await custom.close();
    await backend.stop();
  });

  const rows: Row[] = [
    { name: "healthz SERVING", path: "/healthz", status: 200, body: { status: "SERVING" } },
    { name: "healthz HEAD", method: "HEAD", path: "/healthz", status: 200 },
    {
      name: "healthz unknown service: 404 in the gateway's error format",
      path: "/healthz?service=no.Such",
      status: 404,
      body: { code: 5 },
    },
    {
      name: "healthz NOT_SERVING: 503",
      path: "/healthz?service=ha.v1.HaService",
      setup: () => backend.health.setStatus("ha.v1.HaService", Status.NOT_SERVING),
      status: 503,
      body: { code: 14 },
    },
    {
      name: "healthz of a SERVING service",
      path: "/healthz?service=ha.v1.HaService",
      setup: () => backend.health.setStatus("ha.v1.HaService", Status.SERVING),
      status: 200,
      body: { status: "SERVING" },
    },
    {
      name: "POST healthz: 405 from the mux",
      method: "POST",
      path: "/healthz",
      status: 405,
      body: { code: 12 },
    },
    { name: "readyz ready", path: "/readyz", status: 200, body: { status: "ready" } },
    {
      name: "readyz draining: 503",
      path: "/readyz",
      setup: () => {
        draining = true;
      },
      status: 503,
      body: { status: "draining" },
    },
    { name: "livez", path: "/livez", status: 200, body: { status: "alive" } },
  ];
  for (const row of rows) {
    it(row.name, async () => {
      row.setup?.();
      const { status, body } = await call(`${gw.url}${row.path}`, row.method);
      assert.equal(status, row.status, JSON.stringify(body));
      if (row.body !== undefined) assertSubset(body, row.body, row.name);
      if (row.method === "HEAD") assert.equal(body, undefined);
    });
  }

  it("healthz with the backend down: 503 with a plain message, no backend address", async () => {
    const down = await startHaGateway(["127.0.0.1:1"], { healthCheck: false });
    try {
      const { status, body } = await call(`${down.url}/healthz`);
      assert.equal(status, 503, JSON.stringify(body));
      assertSubset(body, { code: 14, message: "backend unavailable" }, "healthz down");
      assert.doesNotMatch(JSON.stringify(body), /127\.0\.0\.1|ECONNREFUSED/);
    } finally {
      await down.close();
    }
  });

  it("readyz lists the backend's endpoints and turns 503 when none is healthy", async () => {
    draining = false;
    const ready = await call(`${gw.url}/readyz`);
    assert.equal(ready.status, 200);
    const endpoints = (
      ready.body as { backends: Record<string, { endpoints: { address: string }[] }> }
    ).backends.ha?.endpoints;
    assert.deepEqual(
      endpoints?.map((e) => e.address),
      [backend.address],
    );
    backend.health.setStatus("", Status.NOT_SERVING);
    try {
      await eventually(
        async () => (await call(`${gw.url}/readyz`)).status === 503,
        10_000,
        "not ready",
      );
      const healthz = await call(`${gw.url}/healthz`);
      assert.equal(healthz.status, 503);
    } finally {
      backend.health.setStatus("", Status.SERVING);
    }
    await eventually(
      async () => (await call(`${gw.url}/readyz`)).status === 200,
      10_000,
      "ready again",
    );
  });

  it("custom paths; errors go through the mux's errorHandler; a path can be left out", async () => {
    assert.equal((await call(`${custom.url}/-/health`)).status, 200);
    const res = await fetch(`${custom.url}/-/health?service=no.Such`);
    assert.equal(res.status, 599);
    assert.equal(await res.text(), "custom 5");
    await eventually(
      async () => (await call(`${custom.url}/-/ready`)).status === 200,
      10_000,
      "ready",
    );
    assert.equal((await fetch(`${custom.url}/healthz`)).status, 599); // no route: the mux's 404 via errorHandler
    assert.equal((await fetch(`${custom.url}/livez`)).status, 599);
  });
});
