/**
 * Entry of a whoami backend child process. Env: BACKEND_ID, BACKEND_PORT (0 =
 * any), optional ETCD_HOSTS + ETCD_SERVICE + ETCD_TTL to register in etcd.
 * Prints `READY <port>` once serving (and registered).
 */
import { registerInEtcd } from "../../packages/runtime/src/etcd/etcd-registration.js";
import { startEchoBackend } from "./echo-backend.js";

const id = process.env.BACKEND_ID ?? "backend";
const backend = await startEchoBackend(id, { port: Number(process.env.BACKEND_PORT ?? 0) });
if (process.env.ETCD_HOSTS) {
  await registerInEtcd({
    etcd: { hosts: process.env.ETCD_HOSTS },
    service: process.env.ETCD_SERVICE ?? "whoami",
    id,
    address: backend.address,
    ttlSeconds: Number(process.env.ETCD_TTL ?? 2),
  });
}
process.stdout.write(`READY ${backend.port}\n`);
