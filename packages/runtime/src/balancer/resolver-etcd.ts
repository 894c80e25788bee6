import * as grpc from "@grpc/grpc-js";
import type { Etcd3, IKeyValue, Watcher } from "etcd3";
import { importOptionalPeer } from "../util/optional-peer.js";
import { ENDPOINT_WEIGHTS_ATTRIBUTE } from "./balancer-readiness.js";
import { DEFAULT_ETCD_PREFIX, etcdServicePrefix, parseEtcdEndpoint } from "./etcd-endpoint.js";

const {
  registerResolver,
  splitHostPort,
  statusOrFromError,
  statusOrFromValue,
  SUBCHANNEL_ARGS_EXCLUDE_KEY_PREFIX,
} = grpc.experimental;
type Endpoint = grpc.experimental.Endpoint;
type GrpcUri = grpc.experimental.GrpcUri;

/**
 * URI scheme of etcd-discovered backends: `etcd:///<service>` (client given in
 * the {@link ETCD_CLIENT_OPTION} channel option) or `etcd://host:2379,host:2379/<service>`.
 */
export const ETCD_SCHEME = "etcd";

/** Channel option holding a shared `Etcd3` client for `etcd:///` targets. */
export const ETCD_CLIENT_OPTION = `${SUBCHANNEL_ARGS_EXCLUDE_KEY_PREFIX}.ts_gateway.etcd_client`;

/** Channel option overriding the key prefix (default `/services/`). */
export const ETCD_PREFIX_OPTION = `${SUBCHANNEL_ARGS_EXCLUDE_KEY_PREFIX}.ts_gateway.etcd_prefix`;

const RETRY_MS = 1000;

/**
 * grpc-js resolver that lists `<prefix><service>/*` in etcd and then watches the
 * prefix: puts and deletes (including lease expiry) reach the balancer at once.
 * @internal
 */
class EtcdResolver implements grpc.experimental.Resolver {
  private client: Etcd3 | null;
  private readonly hosts: string[] | null;
  private readonly prefix: string;
  private readonly entries = new Map<string, { address: string; weight: number | undefined }>();
  private watcher: Watcher | null = null;
  private starting = false;
  private started = false;
  private destroyed = false;
  private retry: NodeJS.Timeout | null = null;

  constructor(
    target: GrpcUri,
    private readonly listener: grpc.experimental.ResolverListener,
    options: grpc.ChannelOptions,
  ) {
    const service = target.path.replace(/^\/+/, "");
    if (service === "" || service.includes("/"))
      throw new Error(`etcd target needs a service name: ${target.path}`);
    const shared = options[ETCD_CLIENT_OPTION] as Etcd3 | undefined;
    if (shared !== undefined) {
      this.client = shared;
      this.hosts = null;
    } else if (target.authority) {
      this.client = null;
      this.hosts = target.authority.split(",").map((h) => `http://${h}`);
    } else {
      throw new Error(
        `etcd target ${service} needs hosts in the authority or the ${ETCD_CLIENT_OPTION} option`,
      );
    }
    this.prefix = etcdServicePrefix(
      service,
      (options[ETCD_PREFIX_OPTION] as string | undefined) ?? DEFAULT_ETCD_PREFIX,
    );
  }

  /**
   * Starts listing and watching once; later calls are no-ops, since the watch
   * already reports every change (re-reporting would make balancers rebuild).
   */
  updateResolution(): void {
    this.destroyed = false;
    if (this.started || this.starting || this.retry !== null) return;
    void this.start();
  }

  private async start(): Promise<void> {
    this.starting = true;
    try {
      // etcd3 (and its protobufjs) loads only when an etcd target is used; a
      // missing package is reported to the channel like any resolution failure.
      if (this.client === null) {
        const { Etcd3 } = await importOptionalPeer(
          "etcd3",
          "an etcd:// target",
          () => import("etcd3"),
        );
        this.client = new Etcd3({ hosts: this.hosts ?? [] });
      }
      const client = this.client;
      const response = await client.getAll().prefix(this.prefix).exec();
      if (this.destroyed) return;
      this.entries.clear();
      for (const kv of response.kvs) this.apply("put", kv);
      const revision = BigInt(response.header.revision) + 1n;
      const watcher = await client
        .watch()
        .prefix(this.prefix)
        .startRevision(revision.toString())
        .create();
      if (this.destroyed) {
        void watcher.cancel();
        return;
      }
      this.watcher = watcher;
      watcher.on("put", (kv) => {
        this.apply("put", kv);
        this.emit();
      });
      watcher.on("delete", (kv) => {
        this.apply("delete", kv);
        this.emit();
      });
      watcher.on("error", () => {});
      this.started = true;
      this.emit();
    } catch (error) {
      if (this.destroyed) return;
      const details = `etcd resolution of ${this.prefix} failed: ${(error as Error).message}`;
      this.listener(
        statusOrFromError({ code: grpc.status.UNAVAILABLE, details }),
        {},
        null,
        details,
      );
      this.retry = setTimeout(() => {
        this.retry = null;
        if (!this.destroyed) void this.start();
      }, RETRY_MS);
      this.retry.unref();
    } finally {
      this.starting = false;
    }
  }

  private apply(kind: "put" | "delete", kv: IKeyValue): void {
    const key = kv.key.toString();
    if (kind === "delete") {
      this.entries.delete(key);
      return;
    }
    const value = parseEtcdEndpoint(kv.value.toString());
    if (value instanceof Error) this.entries.delete(key);
    else this.entries.set(key, { address: value.address, weight: value.weight });
  }

  private emit(): void {
    if (this.destroyed) return;
    const endpoints: Endpoint[] = [];
    const weights: Record<string, number> = {};
    const seen = new Set<string>();
    for (const { address, weight } of this.entries.values()) {
      const hostPort = splitHostPort(address);
      if (hostPort?.port === undefined || seen.has(address)) continue;
      seen.add(address);
      endpoints.push({ addresses: [{ host: hostPort.host, port: hostPort.port }] });
      if (weight !== undefined) weights[address] = weight;
    }
    const note = `etcd prefix ${this.prefix}`;
    this.listener(
      statusOrFromValue(endpoints),
      { [ENDPOINT_WEIGHTS_ATTRIBUTE]: weights },
      null,
      note,
    );
  }

  destroy(): void {
    this.destroyed = true;
    this.started = false;
    if (this.retry !== null) clearTimeout(this.retry);
    this.retry = null;
    const watcher = this.watcher;
    this.watcher = null;
    if (watcher !== null) void watcher.cancel().catch(() => {});
    if (this.hosts !== null) {
      this.client?.close();
      this.client = null;
    }
  }

  static getDefaultAuthority(target: GrpcUri): string {
    return target.path.replace(/^\/+/, "");
  }
}

let registered = false;

/** Registers the `etcd` scheme with grpc-js (idempotent). @internal */
export function registerEtcdResolver(): void {
  if (registered) return;
  registered = true;
  registerResolver(ETCD_SCHEME, EtcdResolver);
}
