// Two copies of the runtime in one process (an app's and a dependency's; here
// the published build and the source): grpc-js has one policy registry per
// process, so the health-check policy registered last serves both copies'
// channels. Each channel's readiness must still list its endpoints.
import { after, before, it } from "node:test";
import * as dist from "@ts-gateway/runtime/balancer";
import * as source from "../../packages/runtime/src/balancer/balancer.js";
import { type EchoBackend, startEchoBackend } from "../support/echo-backend.js";
import { eventually } from "../support/wait.js";

let backends: EchoBackend[] = [];
before(async () => {
  backends = await Promise.all(["a", "b"].map((id) => startEchoBackend(id)));
});
after(async () => {
  await Promise.all(backends.map((b) => b.stop()));
});

it("each copy's channels report their endpoints' health, whichever copy registered its policies last", async () => {
  const addresses = backends.map((b) => b.address);
  for (const [name, copy] of [
    ["source", source],
    ["dist", dist],
    ["source again", source],
  ] as const) {
    const channel = copy.createChannel(addresses, { circuitBreaker: false });
    try {
      channel.getConnectivityState(true);
      const healthy = () =>
        copy.readiness(channel).endpoints.filter((e) => e.state === "READY" && e.healthy).length;
      await eventually(() => healthy() === 2, 5000, `${name}: 2 healthy endpoints`);
    } finally {
      channel.close();
    }
  }
});
