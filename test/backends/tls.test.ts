import assert from "node:assert/strict";
import { after, before, it } from "node:test";
import * as grpc from "@grpc/grpc-js";
import {
  channelOptionsFor,
  createChannel,
  readiness,
} from "../../packages/runtime/src/balancer/balancer.js";
import { addHealthService } from "../../packages/runtime/src/health/health-service.js";
import { WhoAmIClient, whoAmI, whoAmIDefinition } from "../support/echo-backend.js";
import { makeTestPki, type TestPki } from "../support/tls.js";
import { eventually } from "../support/wait.js";

let pki: TestPki;
let server: grpc.Server;
let address: string;

before(async () => {
  pki = makeTestPki();
  server = new grpc.Server();
  server.addService(whoAmIDefinition, {
    get: (_call: unknown, callback: grpc.sendUnaryData<unknown>) => callback(null, { id: "mtls" }),
  });
  addHealthService(server);
  const credentials = grpc.ServerCredentials.createSsl(
    pki.ca,
    [{ cert_chain: pki.serverCert, private_key: pki.serverKey }],
    true, // require a client certificate
  );
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync("127.0.0.1:0", credentials, (e, p) => (e ? reject(e) : resolve(p))),
  );
  address = `127.0.0.1:${port}`;
});
after(() => server.forceShutdown());

it("mutual TLS: a channel with the client certificate balances and probes health", async () => {
  const channel = createChannel([address], {
    tls: { ca: pki.ca, cert: pki.clientCert, key: pki.clientKey, serverName: "localhost" },
    keepalive: { timeMs: 10_000, timeoutMs: 5_000 },
  });
  const client = new WhoAmIClient("ignored:1", null as never, channelOptionsFor(channel));
  try {
    assert.equal(await whoAmI(client), "mtls");
    await eventually(
      () => readiness(channel).endpoints.every((e) => e.state === "READY" && e.healthy),
      5000,
      "healthy",
    );
  } finally {
    client.close();
  }
});

it("mutual TLS: a channel without a client certificate is refused", async () => {
  const channel = createChannel([address], {
    tls: { ca: pki.ca, serverName: "localhost" },
    circuitBreaker: false,
    reconnectBackoff: { initialMs: 100, maxMs: 200 },
  });
  const client = new WhoAmIClient("ignored:1", null as never, channelOptionsFor(channel));
  try {
    await assert.rejects(
      whoAmI(client, {}, 2000),
      (e: grpc.ServiceError) =>
        e.code === grpc.status.UNAVAILABLE || e.code === grpc.status.DEADLINE_EXCEEDED,
    );
    assert.equal(readiness(channel).ready, false);
  } finally {
    client.close();
  }
});
