// A channel from createChannel carries its own state: its name, its
// readiness (with the endpoints its per-endpoint circuit breaker ejected) and
// the client interceptors fromChannel applies (none: the breaker is part of
// the balancing policy). Two channels to the same backends share none of it.
import assert from "node:assert/strict";
import { test } from "node:test";
import * as grpc from "@grpc/grpc-js";
import { LibraryService } from "../../examples/library/src/gen/library/v1/library_pb.js";
import {
  BalancedChannel,
  backendName,
  createChannel,
  readiness,
} from "../../packages/runtime/src/balancer/balancer.js";
import { Code, RpcError } from "../../packages/runtime/src/core/rpc-error.js";
import { GrpcClient } from "../../packages/runtime/src/grpc/grpc-client.js";
import {
  createServiceDefinition,
  grpcHandlers,
} from "../../packages/runtime/src/grpc/grpc-server.js";
import { startGrpcServer } from "../support/servers.js";
import { eventually } from "../support/wait.js";

test("each balanced channel owns its name and readiness, ejections included; fromChannel adds no interceptor", {
  timeout: 20_000,
}, async () => {
  const received = { failing: 0, healthy: 0 };
  const serve = (which: "failing" | "healthy") =>
    startGrpcServer((s) =>
      s.addService(
        createServiceDefinition(LibraryService),
        grpcHandlers(LibraryService, {
          getShelf: () => {
            received[which]++;
            if (which === "failing") throw new RpcError("boom", Code.Internal);
            return { name: "shelves/1" };
          },
        } as never),
      ),
    );
  const failing = await serve("failing");
  const healthy = await serve("healthy");
  const addresses = [failing.address, healthy.address];
  const breaking = createChannel(addresses, {
    name: "breaking",
    outlierDetection: false,
    circuitBreaker: {
      consecutiveFailures: 2,
      halfOpenAfterMs: 60_000,
      isFailure: (code) => code === grpc.status.INTERNAL,
    },
  });
  const other = createChannel(addresses, { name: "other", outlierDetection: false });
  const plain = new grpc.Channel(failing.address, grpc.credentials.createInsecure(), {});
  const client = GrpcClient.fromChannel(breaking);
  const otherClient = GrpcClient.fromChannel(other);
  const getShelf = (c: GrpcClient) =>
    c.unary(LibraryService.method.getShelf, { name: "shelves/1" }).then(
      () => Code.Ok,
      (e: RpcError) => e.code,
    );
  const ejected = (channel: grpc.Channel) =>
    readiness(channel)
      .endpoints.filter((e) => e.ejected)
      .map((e) => e.address);
  try {
    assert.ok(breaking instanceof BalancedChannel && breaking instanceof grpc.Channel);
    assert.deepEqual(
      [backendName(breaking), backendName(other), backendName(plain)],
      ["breaking", "other", plain.getTarget()],
    );
    assert.deepEqual(breaking.clientInterceptors, []);
    await eventually(() => readiness(breaking).ready, 5000, "breaking channel ready");
    await eventually(() => readiness(other).ready, 5000, "other channel ready");

    // Round robin: the failing endpoint fails twice, then its breaker ejects it.
    for (let i = 0; i < 6; i++) await getShelf(client);
    assert.equal(received.failing, 2);
    assert.deepEqual(ejected(breaking), [failing.address]);
    for (let i = 0; i < 4; i++) assert.equal(await getShelf(client), Code.Ok);
    assert.equal(received.failing, 2);

    // The other channel's readiness and breaker are its own.
    assert.deepEqual(ejected(other), []);
    assert.deepEqual(
      readiness(other)
        .endpoints.map((e) => e.address)
        .sort(),
      [...addresses].sort(),
    );
    const codes = new Set<Code>();
    for (let i = 0; i < 4; i++) codes.add(await getShelf(otherClient));
    assert.deepEqual([...codes].sort(), [Code.Ok, Code.Internal].sort());
    assert.ok(received.failing > 2);

    breaking.close();
    await eventually(() => !readiness(breaking).ready, 5000, "closed channel not ready");
    assert.equal(readiness(other).ready, true);
  } finally {
    client.close();
    otherClient.close();
    breaking.close();
    other.close();
    plain.close();
    await failing.close();
    await healthy.close();
  }
});
