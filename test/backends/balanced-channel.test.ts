// A channel from createChannel carries its own state: the circuit breaker that
// a client made with fromChannel applies, its name and its readiness. Two
// channels to the same backend share none of it.
import assert from "node:assert/strict";
import { test } from "node:test";
import * as grpc from "@grpc/grpc-js";
import { CircuitState } from "cockatiel";
import {
  BalancedChannel,
  backendName,
  circuitBreakerOf,
  createChannel,
  readiness,
} from "../../packages/runtime/src/balancer/balancer.js";
import { Code, RpcError } from "../../packages/runtime/src/core/rpc-error.js";
import { GrpcClient } from "../../packages/runtime/src/grpc/grpc-client.js";
import {
  createServiceDefinition,
  grpcHandlers,
} from "../../packages/runtime/src/grpc/grpc-server.js";
import { LibraryService } from "../../examples/library/src/gen/library/v1/library_pb.js";
import { startGrpcServer } from "../support/servers.js";
import { eventually } from "../support/echo-backend.js";

test("each balanced channel owns its breaker, name and readiness; fromChannel applies the breaker", {
  timeout: 20_000,
}, async () => {
  let received = 0;
  const server = await startGrpcServer((s) =>
    s.addService(
      createServiceDefinition(LibraryService),
      grpcHandlers(LibraryService, {
        getShelf: () => {
          received++;
          throw new RpcError("boom", Code.Internal);
        },
      } as never),
    ),
  );
  const breaking = createChannel([server.address], {
    name: "breaking",
    circuitBreaker: { consecutiveFailures: 2, halfOpenAfterMs: 60_000 },
  });
  const other = createChannel([server.address], { name: "other" });
  const plain = new grpc.Channel(server.address, grpc.credentials.createInsecure(), {});
  const client = GrpcClient.fromChannel(breaking);
  const otherClient = GrpcClient.fromChannel(other);
  const codeOf = (p: Promise<unknown>) =>
    p.then(
      () => Code.Ok,
      (e: RpcError) => e.code,
    );
  const getShelf = (c: GrpcClient) =>
    codeOf(c.unary(LibraryService.method.getShelf, { name: "shelves/1" }));
  try {
    assert.ok(breaking instanceof BalancedChannel && breaking instanceof grpc.Channel);
    assert.deepEqual(
      [backendName(breaking), backendName(other), backendName(plain)],
      ["breaking", "other", plain.getTarget()],
    );
    assert.equal(circuitBreakerOf(plain), undefined);
    assert.equal(breaking.clientInterceptors.length, 1);

    const calls: Array<[client: GrpcClient, code: Code, reached: number]> = [
      [client, Code.Internal, 1],
      [client, Code.Internal, 2],
      [client, Code.Unavailable, 2], // open: fails fast without reaching the backend
      [otherClient, Code.Internal, 3], // the other channel's breaker is its own
    ];
    for (const [c, code, reached] of calls) {
      assert.equal(await getShelf(c), code);
      assert.equal(received, reached);
    }
    assert.equal(circuitBreakerOf(breaking)?.state, CircuitState.Open);
    assert.equal(circuitBreakerOf(other)?.state, CircuitState.Closed);

    await eventually(() => readiness(other).ready, 5000, "other channel ready");
    assert.deepEqual(
      readiness(other).endpoints.map((e) => e.address),
      [server.address],
    );
    breaking.close();
    await eventually(() => !readiness(breaking).ready, 5000, "closed channel not ready");
    assert.equal(readiness(other).ready, true);
  } finally {
    client.close();
    otherClient.close();
    breaking.close();
    other.close();
    plain.close();
    await server.close();
  }
});
