import assert from "node:assert/strict";
import { it } from "node:test";
import * as grpc from "@grpc/grpc-js";
import { CircuitState } from "cockatiel";
import {
  channelOptionsFor,
  circuitBreakerOf,
  createChannel,
} from "../../packages/runtime/src/balancer/balancer.js";
import { eventually, WhoAmIClient, whoAmI, whoAmIDefinition } from "../support/echo-backend.js";

it("opens after consecutive failures, fails fast without reaching the backend, then recovers", async () => {
  const server = new grpc.Server();
  let failing = true;
  let received = 0;
  server.addService(whoAmIDefinition, {
    get: (_call: unknown, callback: grpc.sendUnaryData<unknown>) => {
      received++;
      if (failing) callback({ code: grpc.status.INTERNAL, details: "boom" });
      else callback(null, { id: "ok" });
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (e, p) =>
      e ? reject(e) : resolve(p),
    ),
  );
  const channel = createChannel([`127.0.0.1:${port}`], {
    circuitBreaker: { consecutiveFailures: 3, halfOpenAfterMs: 300 },
  });
  const client = new WhoAmIClient("ignored:1", null as never, channelOptionsFor(channel));
  const codeOf = (p: Promise<unknown>) =>
    p.then(
      () => grpc.status.OK,
      (e: grpc.ServiceError) => e.code,
    );
  try {
    const cases: [string, grpc.status, number][] = [
      ["failure 1 reaches the backend", grpc.status.INTERNAL, 1],
      ["failure 2 reaches the backend", grpc.status.INTERNAL, 2],
      ["failure 3 opens the circuit", grpc.status.INTERNAL, 3],
      ["open circuit fails fast", grpc.status.UNAVAILABLE, 3],
      ["still open", grpc.status.UNAVAILABLE, 3],
    ];
    for (const [name, code, count] of cases) {
      assert.equal(await codeOf(whoAmI(client)), code, name);
      assert.equal(received, count, name);
    }
    assert.equal(circuitBreakerOf(channel)?.state, CircuitState.Open);

    failing = false;
    await eventually(
      async () => (await codeOf(whoAmI(client))) === grpc.status.OK,
      5000,
      "half-open trial to pass",
    );
    assert.equal(circuitBreakerOf(channel)?.state, CircuitState.Closed);
    assert.equal(await whoAmI(client), "ok");
  } finally {
    client.close();
    server.forceShutdown();
  }
});
