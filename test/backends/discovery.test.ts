import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import * as grpc from "@grpc/grpc-js";
import {
  channelOptionsFor,
  createChannel,
  readiness,
} from "../../packages/runtime/src/balancer/balancer.js";
import { parseEtcdEndpoint } from "../../packages/runtime/src/balancer/etcd-endpoint.js";
import { parseStaticEndpoints } from "../../packages/runtime/src/balancer/resolver-static.js";
import { buildServiceConfig } from "../../packages/runtime/src/balancer/service-config.js";
import {
  type EchoBackend,
  startEchoBackend,
  WhoAmIClient,
  whoAmI,
} from "../support/echo-backend.js";
import { eventually } from "../support/wait.js";

describe("static endpoint lists", () => {
  const cases: [string, string[] | string][] = [
    ["127.0.0.1:1", ["127.0.0.1:1"]],
    ["a.example:50051, b.example:50052", ["a.example:50051", "b.example:50052"]],
    ["[::1]:8080", ["::1:8080"]],
    ["no-port", "not host:port"],
    ["", "empty"],
  ];
  for (const [input, want] of cases) {
    it(JSON.stringify(input), () => {
      const got = parseStaticEndpoints(input);
      if (typeof want === "string") {
        assert.ok(got instanceof Error && got.message.includes(want), String(got));
      } else {
        assert.ok(!(got instanceof Error));
        const list = got.map((e) =>
          e.addresses.map((a) => ("host" in a ? `${a.host}:${a.port}` : a.path)).join(),
        );
        assert.deepEqual(list, want);
      }
    });
  }
});

describe("etcd registration values", () => {
  const cases: [string, unknown][] = [
    ["10.0.0.1:80", { address: "10.0.0.1:80" }],
    ['{"address":"10.0.0.1:80","weight":3}', { address: "10.0.0.1:80", weight: 3 }],
    ['{"address":"10.0.0.1:80","weight":-1}', { address: "10.0.0.1:80" }],
    ['{"weight":3}', Error],
    ["{nope", Error],
    ["hostonly", Error],
  ];
  for (const [input, want] of cases) {
    it(input, () => {
      const got = parseEtcdEndpoint(input);
      if (want === Error) assert.ok(got instanceof Error);
      else assert.deepEqual(got, want);
    });
  }
});

describe("service config", () => {
  it("wraps the policy in outlier detection, the circuit breaker and health checking; retries only listed methods", () => {
    const config = buildServiceConfig({
      policy: "least_request",
      deadlineMs: 1500,
      retry: { methods: ["/pkg.Svc/Get", "pkg.Other"] },
    });
    const health = (
      config.loadBalancingConfig[0] as { ts_gateway_health: { child_policy: object[] } }
    ).ts_gateway_health;
    const breaker = (
      health.child_policy[0] as {
        ts_gateway_circuit_breaker: { child_policy: object[] } & Record<string, unknown>;
      }
    ).ts_gateway_circuit_breaker;
    assert.deepEqual(
      { ...breaker, child_policy: undefined },
      {
        consecutive_failures: 5,
        half_open_after_ms: 5000,
        max_ejection_percent: 50,
        failure_codes: [14],
        child_policy: undefined,
      },
    );
    const od = (breaker.child_policy[0] as { outlier_detection: { child_policy: object[] } })
      .outlier_detection;
    assert.deepEqual(od.child_policy, [{ ts_gateway_least_request: { choice_count: 2 } }]);
    assert.deepEqual(config.methodConfig, [
      {
        name: [{ service: "pkg.Svc", method: "Get" }, { service: "pkg.Other" }],
        timeout: "1.500s",
        retryPolicy: {
          maxAttempts: 4,
          initialBackoff: "0.050s",
          maxBackoff: "1.000s",
          backoffMultiplier: 2,
          retryableStatusCodes: ["UNAVAILABLE"],
        },
      },
      { name: [{}], timeout: "1.500s" },
    ]);
  });

  it("rejects bad configuration at channel construction", () => {
    assert.throws(() =>
      createChannel(["127.0.0.1:1"], { policy: "least_request", leastRequestChoices: 1 }),
    );
  });
});

describe("re-resolution and DNS", () => {
  let backend: EchoBackend;
  before(async () => {
    backend = await startEchoBackend("dns");
  });
  after(async () => {
    await backend.stop();
  });

  it("asks the resolver again every reresolveIntervalMs", async () => {
    let resolutions = 0;
    class CountingResolver implements grpc.experimental.Resolver {
      constructor(
        _target: grpc.experimental.GrpcUri,
        private readonly listener: grpc.experimental.ResolverListener,
      ) {}
      updateResolution(): void {
        resolutions++;
        const endpoints = [{ addresses: [{ host: "127.0.0.1", port: backend.port }] }];
        process.nextTick(() =>
          this.listener(grpc.experimental.statusOrFromValue(endpoints), {}, null, ""),
        );
      }
      destroy(): void {}
      static getDefaultAuthority(): string {
        return "counting";
      }
    }
    grpc.experimental.registerResolver("ts-counting-test", CountingResolver);
    const channel = createChannel("ts-counting-test:///x", { reresolveIntervalMs: 100 });
    try {
      await eventually(() => resolutions >= 4, 5000, "periodic re-resolution");
    } finally {
      channel.close();
    }
  });

  it("balances a dns:/// target", async () => {
    const channel = createChannel(`dns:///localhost:${backend.port}`, { circuitBreaker: false });
    const client = new WhoAmIClient("ignored:1", null as never, channelOptionsFor(channel));
    try {
      assert.equal(await whoAmI(client), "dns");
      await eventually(() => readiness(channel).ready, 5000, "ready");
    } finally {
      client.close();
    }
  });
});
