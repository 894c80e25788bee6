/**
 * Entry of a gateway node in its own process: the ha.v1 router and health
 * endpoints over `createChannel(BACKENDS)`. Env: GATEWAY_ID (sent back as
 * `x-gateway-id`), BACKENDS (`host:port,…`), DRAIN_DELAY_MS, HEALTH_INTERVAL_MS
 * (default 200; 1000 is the balancer's own default). Prints
 * `READY <port>`; SIGTERM shuts down gracefully and exits 0.
 */
import { gracefulShutdown } from "@ts-gateway/runtime";
import { startHaGateway } from "./ha-gateway.js";

const id = process.env.GATEWAY_ID ?? "gateway";
let draining = () => false;
const gateway = await startHaGateway(
  (process.env.BACKENDS ?? "").split(",").filter((s) => s !== ""),
  { healthCheck: { intervalMs: Number(process.env.HEALTH_INTERVAL_MS ?? 200) } },
  { health: { isDraining: () => draining() } },
);
gateway.server.prependListener("request", (_req, res) => res.setHeader("x-gateway-id", id));
const shutdown = gracefulShutdown({
  httpServers: [gateway.server],
  channels: [gateway.channel],
  drainDelayMs: Number(process.env.DRAIN_DELAY_MS ?? 0),
  gracePeriodMs: 5000,
  onShutdown: () => process.exit(0),
});
draining = () => shutdown.draining;
process.stdout.write(`READY ${new URL(gateway.url).port}\n`);
