import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { create } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import {
  channelOptionsFor,
  createChannel,
  readiness,
} from "../../packages/runtime/src/balancer/balancer.js";
import { healthServiceDefinition } from "../../packages/runtime/src/grpc/health-definition.js";
import {
  healthzHandler,
  livezHandler,
  readyzHandler,
} from "../../packages/runtime/src/health/health-endpoints.js";
import {
  HealthCheckRequestSchema,
  type HealthCheckResponse,
  HealthCheckResponseSchema,
  HealthCheckResponse_ServingStatus as Status,
} from "../../packages/runtime/src/proto/grpc/health/v1/health_pb.js";
import {
  type EchoBackend,
  startEchoBackend,
  tally,
  WhoAmIClient,
  whoAmI,
  whoAmIDefinition,
} from "../support/echo-backend.js";
import { eventually } from "../support/wait.js";

const HealthClient = grpc.makeGenericClientConstructor(healthServiceDefinition, "Health");

describe("health service", () => {
  let backend: EchoBackend;
  let client: grpc.Client;
  before(async () => {
    backend = await startEchoBackend("h");
    client = new HealthClient(backend.address, grpc.credentials.createInsecure());
  });
  after(async () => {
    client.close();
    await backend.stop();
  });

  const check = (service: string) =>
    new Promise<{ code: grpc.status; status?: Status }>((resolve) => {
      const def = healthServiceDefinition.check;
      client.makeUnaryRequest(
        def.path,
        def.requestSerialize,
        def.responseDeserialize,
        create(HealthCheckRequestSchema, { service }),
        (error: grpc.ServiceError | null, response?: HealthCheckResponse) =>
          resolve(
            error || response === undefined
              ? { code: error?.code ?? grpc.status.UNKNOWN }
              : { code: grpc.status.OK, status: response.status },
          ),
      );
    });

  it("Check answers per service", async () => {
    backend.health.setStatus("svc.Down", Status.NOT_SERVING);
    const cases: [string, { code: grpc.status; status?: Status }][] = [
      ["", { code: grpc.status.OK, status: Status.SERVING }],
      ["svc.Down", { code: grpc.status.OK, status: Status.NOT_SERVING }],
      ["svc.Unknown", { code: grpc.status.NOT_FOUND }],
    ];
    for (const [service, want] of cases) assert.deepEqual(await check(service), want, service);
  });

  it("Watch streams changes, and shutdown() turns everything NOT_SERVING", async () => {
    const def = healthServiceDefinition.watch;
    const stream = client.makeServerStreamRequest(
      def.path,
      def.requestSerialize,
      def.responseDeserialize,
      create(HealthCheckRequestSchema, { service: "svc.Watched" }),
    );
    const seen: Status[] = [];
    stream.on("data", (r: HealthCheckResponse) => seen.push(r.status));
    stream.on("error", () => {});
    await eventually(() => seen.length === 1, 3000, "first watch message");
    backend.health.setStatus("svc.Watched", Status.SERVING);
    await eventually(() => seen.length === 2, 3000, "SERVING");
    backend.health.shutdown();
    await eventually(() => seen.length === 3, 3000, "NOT_SERVING");
    backend.health.setStatus("svc.Watched", Status.SERVING); // ignored while shut down
    stream.cancel();
    assert.deepEqual(seen, [Status.SERVICE_UNKNOWN, Status.SERVING, Status.NOT_SERVING]);
    assert.equal((await check("")).status, Status.NOT_SERVING);
    backend.health.resume();
    assert.equal((await check("")).status, Status.SERVING);
  });
});

describe("health-aware balancing", () => {
  let backends: EchoBackend[] = [];
  before(async () => {
    backends = await Promise.all(["a", "b", "c"].map((id) => startEchoBackend(id)));
  });
  after(async () => {
    await Promise.all(backends.map((b) => b.stop()));
  });

  it("ejects a NOT_SERVING endpoint, re-admits it, and fails fast when none is healthy", async () => {
    const [a, b, c] = backends as [EchoBackend, EchoBackend, EchoBackend];
    const channel = createChannel([a.address, b.address, c.address], { circuitBreaker: false });
    const client = new WhoAmIClient("ignored:1", null as never, channelOptionsFor(channel));
    try {
      const healthyCount = () =>
        readiness(channel).endpoints.filter((e) => e.state === "READY" && e.healthy).length;
      await eventually(() => healthyCount() === 3, 5000, "3 healthy");

      b.health.setStatus("", Status.NOT_SERVING);
      await eventually(() => healthyCount() === 2, 5000, "b ejected");
      const during = [];
      for (let i = 0; i < 60; i++) during.push(await whoAmI(client));
      assert.equal(tally(during).get("b"), undefined);

      b.health.setStatus("", Status.SERVING);
      await eventually(() => healthyCount() === 3, 5000, "b re-admitted");
      const afterwards = [];
      for (let i = 0; i < 60; i++) afterwards.push(await whoAmI(client));
      assert.ok((tally(afterwards).get("b") ?? 0) > 0);

      for (const backend of backends) backend.health.setStatus("", Status.NOT_SERVING);
      await eventually(() => !readiness(channel).ready, 5000, "not ready");
      const started = Date.now();
      await assert.rejects(
        whoAmI(client, {}, 10_000),
        (e: grpc.ServiceError) => e.code === grpc.status.UNAVAILABLE,
      );
      assert.ok(Date.now() - started < 5000, "failed fast, not at the deadline");
    } finally {
      for (const backend of backends) backend.health.setStatus("", Status.SERVING);
      client.close();
    }
  });
});

it("falls back to polling Check when the backend lacks Watch", async () => {
  const server = new grpc.Server();
  let status = Status.SERVING;
  server.addService(
    { check: healthServiceDefinition.check },
    {
      check: (_call: unknown, callback: grpc.sendUnaryData<HealthCheckResponse>) =>
        callback(null, create(HealthCheckResponseSchema, { status })),
    },
  );
  server.addService(whoAmIDefinition, {
    get: (_call: unknown, callback: grpc.sendUnaryData<unknown>) =>
      callback(null, { id: "check-only" }),
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (e, p) =>
      e ? reject(e) : resolve(p),
    ),
  );
  const channel = createChannel([`127.0.0.1:${port}`], {
    healthCheck: { intervalMs: 100 },
    circuitBreaker: false,
  });
  try {
    await eventually(() => readiness(channel).ready, 5000, "ready");
    status = Status.NOT_SERVING;
    await eventually(() => !readiness(channel).ready, 5000, "ejected by Check polling");
    status = Status.SERVING;
    await eventually(() => readiness(channel).ready, 5000, "re-admitted by Check polling");
  } finally {
    channel.close();
    server.forceShutdown();
  }
});

it("outlier detection ejects an endpoint that fails while its peers succeed", async () => {
  const backends = await Promise.all(["x", "y", "z"].map((id) => startEchoBackend(id)));
  const [x, y, z] = backends as [EchoBackend, EchoBackend, EchoBackend];
  z.failWith = grpc.status.INTERNAL;
  const channel = createChannel([x.address, y.address, z.address], {
    circuitBreaker: false,
    outlierDetection: {
      intervalMs: 200,
      baseEjectionTimeMs: 60_000,
      successRate: { stdevFactor: 1000, requestVolume: 3 },
    },
  });
  const client = new WhoAmIClient("ignored:1", null as never, channelOptionsFor(channel));
  try {
    const recent: string[] = [];
    await eventually(
      async () => {
        for (let i = 0; i < 10; i++) recent.push(await whoAmI(client).catch(() => "z"));
        return recent.length >= 30 && !recent.slice(-30).includes("z");
      },
      10_000,
      "z ejected",
    );
  } finally {
    client.close();
    await Promise.all(backends.map((b) => b.stop()));
  }
});

describe("health endpoints", () => {
  let backend: EchoBackend;
  let deadChannel: grpc.Channel;
  let liveChannel: grpc.Channel;
  let http: Server;
  let base: string;
  before(async () => {
    backend = await startEchoBackend("h");
    backend.health.setStatus("svc.Down", Status.NOT_SERVING);
    backend.health.setStatus("svc.Unknown", Status.SERVICE_UNKNOWN);
    liveChannel = createChannel([backend.address]);
    deadChannel = createChannel(["127.0.0.1:1"], {
      reconnectBackoff: { initialMs: 100, maxMs: 200 },
    });
    const healthz = healthzHandler(liveChannel);
    const deadz = healthzHandler(deadChannel, { timeoutMs: 1000 });
    const readyz = readyzHandler({ backends: { live: liveChannel } });
    const readyzDead = readyzHandler({ backends: { live: liveChannel, dead: deadChannel } });
    const livez = livezHandler();
    http = createServer((req, res) => {
      const path = new URL(req.url ?? "/", "http://x").pathname;
      if (path === "/healthz") healthz(req, res);
      else if (path === "/deadz") deadz(req, res);
      else if (path === "/readyz") readyz(req, res);
      else if (path === "/readyz-dead") readyzDead(req, res);
      else livez(req, res);
    });
    await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
    await eventually(() => readiness(liveChannel).ready, 5000, "live channel ready");
  });
  after(async () => {
    liveChannel.close();
    deadChannel.close();
    await new Promise((resolve) => http.close(resolve));
    await backend.stop();
  });

  it("map health to HTTP like grpc-gateway", async () => {
    const cases: [string, string, number, Record<string, unknown>][] = [
      ["GET", "/healthz", 200, { status: "SERVING" }],
      ["GET", "/healthz?service=svc.Down", 503, { code: grpc.status.UNAVAILABLE }],
      ["GET", "/healthz?service=svc.Unknown", 404, { code: grpc.status.NOT_FOUND }],
      ["GET", "/healthz?service=svc.Missing", 404, { code: grpc.status.NOT_FOUND }],
      ["GET", "/deadz", 503, { code: grpc.status.UNAVAILABLE }],
      ["POST", "/healthz", 405, { code: grpc.status.UNIMPLEMENTED }],
      ["GET", "/readyz", 200, { status: "ready" }],
      ["GET", "/readyz-dead", 503, { status: "not ready" }],
      ["GET", "/livez", 200, { status: "alive" }],
    ];
    for (const [method, path, status, subset] of cases) {
      const response = await fetch(base + path, { method });
      const body = (await response.json()) as Record<string, unknown>;
      assert.equal(response.status, status, `${method} ${path}: ${JSON.stringify(body)}`);
      for (const [key, value] of Object.entries(subset))
        assert.equal(body[key], value, `${method} ${path} ${key}`);
    }
  });
});
