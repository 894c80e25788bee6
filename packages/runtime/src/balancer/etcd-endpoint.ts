/**
 * What a backend stores under `/services/<name>/<id>` in etcd: JSON
 * `{"address":"host:port","weight":1}` or a bare `host:port`.
 */
export interface EtcdEndpointValue {
  /** `host:port` clients should dial. */
  address: string;
  /** Weight for `ts_gateway_weighted_round_robin`; default 1. */
  weight?: number;
  /** Free-form labels (zone, version, …). */
  metadata?: Record<string, string>;
}

/** Default key prefix under which services register. */
export const DEFAULT_ETCD_PREFIX = "/services/";

/** The key prefix of one service: `<prefix><name>/`. @internal */
export function etcdServicePrefix(name: string, prefix: string = DEFAULT_ETCD_PREFIX): string {
  const base = prefix.endsWith("/") ? prefix : `${prefix}/`;
  return `${base}${name}/`;
}

/** Parses a registration value; returns an Error for malformed values. @internal */
export function parseEtcdEndpoint(value: string): EtcdEndpointValue | Error {
  const text = value.trim();
  if (!text.startsWith("{")) {
    return /^.+:\d+$/.test(text)
      ? { address: text }
      : new Error(`etcd value "${text}" is not host:port`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (cause) {
    return new Error(`etcd value is not JSON: ${String(cause)}`);
  }
  if (typeof parsed !== "object" || parsed === null)
    return new Error("etcd value is not an object");
  const { address, weight, metadata } = parsed as Record<string, unknown>;
  if (typeof address !== "string" || !/^.+:\d+$/.test(address))
    return new Error("etcd value lacks address host:port");
  const result: EtcdEndpointValue = { address };
  if (typeof weight === "number" && Number.isFinite(weight) && weight >= 0) result.weight = weight;
  if (typeof metadata === "object" && metadata !== null)
    result.metadata = metadata as Record<string, string>;
  return result;
}

/**
 * A client of the etcd3 package (`new Etcd3(…)`), by the part of its shape the
 * runtime's signatures need: etcd3 is an optional peer dependency, so the
 * published types do not import it (a consumer without etcd3 installed still
 * type-checks with `skipLibCheck: false`). Any `Etcd3` instance is one.
 */
export interface EtcdClient {
  getAll(): unknown;
  watch(): unknown;
  lease(ttl?: number, options?: object): unknown;
  close(): void;
}
