import type { Lease } from "etcd3";
import {
  DEFAULT_ETCD_PREFIX,
  type EtcdClient,
  type EtcdEndpointValue,
  etcdServicePrefix,
} from "../balancer/etcd-endpoint.js";
import { importOptionalPeer } from "../util/optional-peer.js";

/** Options for {@link registerInEtcd}. */
export interface EtcdRegistrationOptions {
  /** An `Etcd3` client, or the hosts to create one for (`http://127.0.0.1:2379`). */
  etcd: EtcdClient | { hosts: string | string[] };
  /** Logical service name: the key is `<prefix><service>/<id>`. */
  service: string;
  /** Instance id, unique within the service (e.g. pod name). */
  id: string;
  /** `host:port` clients should dial. */
  address: string;
  /** Weight for weighted round robin. */
  weight?: number;
  metadata?: Record<string, string>;
  /** Lease TTL in seconds; default 10. The key disappears this long after the process dies. */
  ttlSeconds?: number;
  /** Key prefix; default `/services/`. */
  prefix?: string;
  /** Called when the lease is lost and re-registration is attempted. */
  onLost?: (error: Error) => void;
}

/** A live registration; `close()` revokes the lease so the endpoint leaves at once. */
export interface EtcdRegistration {
  readonly key: string;
  close(): Promise<void>;
}

/**
 * Registers a backend under `/services/<service>/<id>` on a lease that the etcd3
 * client keeps alive; if the lease is lost (etcd restarted, network partition),
 * it grants a new one and registers again. Resolves once the key is written.
 */
export async function registerInEtcd(options: EtcdRegistrationOptions): Promise<EtcdRegistration> {
  // etcd3 (and its protobufjs) loads only when etcd is used, not with every gateway.
  const { Etcd3 } = await importOptionalPeer("etcd3", "registerInEtcd", () => import("etcd3"));
  const given = options.etcd;
  const owns = !(given instanceof Etcd3);
  let client: InstanceType<typeof Etcd3>;
  if (given instanceof Etcd3) client = given;
  else if ("hosts" in given) client = new Etcd3({ hosts: given.hosts });
  else
    throw new TypeError(
      "registerInEtcd: etcd must be an Etcd3 client (of the etcd3 package installed beside the runtime) or { hosts }",
    );
  const key = `${etcdServicePrefix(options.service, options.prefix ?? DEFAULT_ETCD_PREFIX)}${options.id}`;
  const value: EtcdEndpointValue = { address: options.address };
  if (options.weight !== undefined) value.weight = options.weight;
  if (options.metadata !== undefined) value.metadata = options.metadata;
  const ttl = options.ttlSeconds ?? 10;
  let closed = false;
  let lease: Lease;

  const register = async (): Promise<void> => {
    const current = client.lease(ttl);
    lease = current;
    current.on("lost", (error) => {
      if (closed) return;
      options.onLost?.(error);
      setTimeout(() => {
        if (!closed) register().catch((e: Error) => options.onLost?.(e));
      }, 500).unref();
    });
    await current.put(key).value(JSON.stringify(value));
  };

  try {
    await register();
  } catch (error) {
    if (owns) client.close();
    throw error;
  }
  return {
    key,
    async close() {
      if (closed) return;
      closed = true;
      try {
        await lease.revoke();
      } finally {
        if (owns) client.close();
      }
    },
  };
}
