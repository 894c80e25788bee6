import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { it } from "node:test";
import * as grpc from "@grpc/grpc-js";
import {
  channelOptionsFor,
  createChannel,
  readiness,
} from "../../packages/runtime/src/balancer/balancer.js";
import { readyzHandler } from "../../packages/runtime/src/health/health-endpoints.js";
import { gracefulShutdown } from "../../packages/runtime/src/lifecycle/graceful-shutdown.js";
import { HealthCheckResponse_ServingStatus as Status } from "../../packages/runtime/src/proto/grpc/health/v1/health_pb.js";
import { startEchoBackend, WhoAmIClient, whoAmI } from "../support/echo-backend.js";
import { eventually, next } from "../support/wait.js";

it("gateway: readiness turns 503, in-flight requests finish, then listener and channels close", async () => {
  const backend = await startEchoBackend("slow", { delayMs: 300 });
  const channel = createChannel([backend.address], { circuitBreaker: false });
  const client = new WhoAmIClient("ignored:1", null as never, channelOptionsFor(channel));
  let draining = () => false;
  const readyz = readyzHandler({ backends: { slow: channel }, isDraining: () => draining() });
  const http = createServer((req, res) => {
    if (req.url === "/readyz") return readyz(req, res);
    whoAmI(client).then(
      (id) => res.end(id),
      (e: Error) => res.writeHead(502).end(e.message),
    );
  });
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  const base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  try {
    await eventually(() => readiness(channel).ready, 5000, "ready");
    assert.equal((await fetch(`${base}/readyz`)).status, 200);
    const shutdown = gracefulShutdown({
      httpServers: [http],
      channels: [channel],
      drainDelayMs: 300,
      signals: [],
    });
    draining = () => shutdown.draining;

    const arrived = next(http, "request");
    const inFlight = fetch(`${base}/call`).then(async (r) => [r.status, await r.text()] as const);
    await arrived;
    const done = shutdown.shutdown("test");
    assert.equal((await fetch(`${base}/readyz`)).status, 503, "readiness during the drain delay");
    assert.deepEqual(await inFlight, [200, "slow"]);
    await done;
    assert.equal(http.listening, false);
    assert.equal(channel.getConnectivityState(false), grpc.connectivityState.SHUTDOWN);
    await assert.rejects(fetch(`${base}/readyz`));
  } finally {
    if (http.listening) http.close();
    await backend.stop();
  }
});

it("backend: health NOT_SERVING first, then in-flight calls finish before the gRPC server stops", async () => {
  const backend = await startEchoBackend("b", { delayMs: 300 });
  const client = new WhoAmIClient(backend.address, grpc.credentials.createInsecure());
  try {
    const call = whoAmI(client);
    await eventually(() => backend.received === 1, 5000, "the call at the backend");
    const shutdown = gracefulShutdown({
      grpcServers: [backend.server],
      health: backend.health,
      drainDelayMs: 0,
      signals: [],
    });
    const done = shutdown.shutdown();
    assert.equal(backend.health.getStatus(""), Status.NOT_SERVING);
    assert.equal(await call, "b");
    await done;
    await assert.rejects(whoAmI(client, {}, 1000));
  } finally {
    client.close();
    await backend.stop();
  }
});

it("SIGTERM starts the shutdown", async () => {
  const backend = await startEchoBackend("s");
  let reason = "";
  const shutdown = gracefulShutdown({
    grpcServers: [backend.server],
    health: backend.health,
    signals: ["SIGTERM"],
    drainDelayMs: 0,
    onShutdown: (r) => {
      reason = r;
    },
  });
  try {
    process.kill(process.pid, "SIGTERM");
    await eventually(() => reason === "SIGTERM", 3000, "shutdown on SIGTERM");
    assert.equal(shutdown.draining, true);
  } finally {
    shutdown.dispose();
    await backend.stop();
  }
});
