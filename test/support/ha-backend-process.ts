/**
 * Entry of an `ha.v1.HaService` replica in its own process. Env: BACKEND_ID,
 * BACKEND_PORT (0 = any), SLOW_MS (+ DELAY_ALL=1 to delay every call), FAIL_ALL=1
 * (WhoAmI and SlowWhoAmI answer UNAVAILABLE, health stays SERVING), optional
 * ETCD_HOSTS + ETCD_SERVICE + ETCD_TTL to register in etcd, BIND_ON_SIGNAL=1
 * (print `LOADED`, then bind only on SIGUSR2: a restart at a chosen moment,
 * without the start-up time). Prints `READY <port>` once serving (and
 * registered). SIGTERM shuts down gracefully.
 */
import { once } from "node:events";
import { gracefulShutdown } from "@ts-gateway/runtime";
import { registerInEtcd } from "@ts-gateway/runtime/etcd";
import { startHaBackend } from "./ha-backend.js";

const id = process.env.BACKEND_ID ?? "backend";
if (process.env.BIND_ON_SIGNAL === "1") {
  const signalled = once(process, "SIGUSR2");
  const hold = setInterval(() => {}, 60_000); // a signal listener alone keeps no process alive
  process.stdout.write("LOADED\n");
  await signalled;
  clearInterval(hold);
}
const backend = await startHaBackend(id, {
  port: Number(process.env.BACKEND_PORT ?? 0),
  slowMs: Number(process.env.SLOW_MS ?? 0),
  delayAll: process.env.DELAY_ALL === "1",
  failAll: process.env.FAIL_ALL === "1",
});
const registration = process.env.ETCD_HOSTS
  ? await registerInEtcd({
      etcd: { hosts: process.env.ETCD_HOSTS },
      service: process.env.ETCD_SERVICE ?? "ha",
      id,
      address: backend.address,
      ttlSeconds: Number(process.env.ETCD_TTL ?? 2),
    })
  : undefined;
gracefulShutdown({
  grpcServers: [backend.server],
  health: backend.health,
  drainDelayMs: Number(process.env.DRAIN_DELAY_MS ?? 0),
  gracePeriodMs: 5000,
  onShutdown: async () => {
    await registration?.close();
    process.exit(0);
  },
});
process.stdout.write(`READY ${backend.port}\n`);
