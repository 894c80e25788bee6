/**
 * Retries of idempotent methods through the gateway: the retry list comes from
 * the generated routes (GET/HEAD/PUT/DELETE) and `idempotency_level`.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { DescService } from "@bufbuild/protobuf";
import type { ServiceRoutes } from "@ts-gateway/runtime";
import { idempotentMethods } from "@ts-gateway/runtime/balancer";
import { haServiceRoutes } from "../gen/ha/v1/ha_gateway.js";
import { HaService } from "../gen/ha/v1/ha_pb.js";
import { type HaBackend, startHaBackend } from "../support/ha-backend.js";
import { type HaGateway, startHaGateway } from "../support/ha-gateway.js";

describe("idempotentMethods", () => {
  const cases: [string, (ServiceRoutes | DescService)[], string[]][] = [
    [
      "routes: GET routes, plus methods declared NO_SIDE_EFFECTS",
      [haServiceRoutes],
      [
        "/ha.v1.HaService/WhoAmI",
        "/ha.v1.HaService/SlowWhoAmI",
        "/ha.v1.HaService/Flaky",
        "/ha.v1.HaService/FlakyDeclared",
      ],
    ],
    ["descriptor only: idempotency_level", [HaService], ["/ha.v1.HaService/FlakyDeclared"]],
    [
      "a method also bound to POST is not assumed idempotent",
      [
        {
          service: HaService,
          routes: [
            { ...(haServiceRoutes.routes[0] as (typeof haServiceRoutes.routes)[0]) },
            {
              ...(haServiceRoutes.routes[0] as (typeof haServiceRoutes.routes)[0]),
              method: "POST",
            },
          ],
        },
      ],
      ["/ha.v1.HaService/FlakyDeclared"],
    ],
    ["nothing", [], []],
  ];
  for (const [name, input, want] of cases) {
    it(name, () => assert.deepEqual(idempotentMethods(...input).sort(), [...want].sort()));
  }
});

describe("a backend that fails UNAVAILABLE once, behind the gateway", () => {
  let backend: HaBackend;
  let withRetries: HaGateway;
  let withoutRetries: HaGateway;
  before(async () => {
    backend = await startHaBackend("flaky");
    withRetries = await startHaGateway([backend.address], { circuitBreaker: false });
    withoutRetries = await startHaGateway([backend.address], {
      circuitBreaker: false,
      retry: { methods: [] },
    });
  });
  after(async () => {
    await withRetries.close();
    await withoutRetries.close();
    await backend.stop();
  });

  // Each row uses its own key: the backend fails the first call of a key.
  const cases: [string, () => HaGateway, string, RequestInit, number][] = [
    ["GET route: retried", () => withRetries, "/v1/flaky/get?failFirst=1", {}, 200],
    [
      "POST route: not retried",
      () => withRetries,
      "/v1/flaky/post",
      { method: "POST", body: '{"failFirst":1}' },
      503,
    ],
    [
      "POST route of a NO_SIDE_EFFECTS method: retried",
      () => withRetries,
      "/v1/flaky/declared:declared",
      { method: "POST", body: '{"failFirst":1}' },
      200,
    ],
    [
      "GET with no retry policy: the failure shows",
      () => withoutRetries,
      "/v1/flaky/plain?failFirst=1",
      {},
      503,
    ],
    [
      "GET failing more often than the attempts: the failure shows",
      () => withRetries,
      "/v1/flaky/many?failFirst=9",
      {},
      503,
    ],
  ];
  for (const [name, gateway, path, init, status] of cases) {
    it(name, async () => {
      const gw = gateway();
      const res = await fetch(`${gw.url}${path}`, {
        ...init,
        headers: { "content-type": "application/json" },
      });
      const body = (await res.json()) as { id?: string; code?: number };
      assert.equal(res.status, status, JSON.stringify(body));
      if (status === 200) assert.equal(body.id, "flaky");
      else assert.equal(body.code, 14);
    });
  }
});
