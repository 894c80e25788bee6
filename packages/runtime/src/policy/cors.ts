import type { ServerResponse } from "node:http";
import { Code, RpcError } from "../core/rpc-error.js";
import { optionsAllow } from "../http/mux.js";
import type { GatewayCall, Middleware } from "../http/pipeline.js";

/** Which origins may call: `"*"`, a list (exact origins or patterns), a pattern, or a predicate. */
export type CorsOrigins =
  | "*"
  | readonly (string | RegExp)[]
  | RegExp
  | ((origin: string, call: GatewayCall) => boolean);

/** Options of {@link cors}. */
export interface CorsOptions {
  origins: CorsOrigins;
  /** Send `Access-Control-Allow-Credentials: true` (cookies, HTTP auth). The origin is then echoed, never `*`. */
  credentials?: boolean;
  /**
   * Response headers a page may read, beyond the CORS-safelisted ones; a name
   * ending in `*` is a prefix, expanded to the headers each response has.
   * Default `["Grpc-Metadata-*", "Grpc-Trailer-*", "Retry-After", "RateLimit", "RateLimit-Policy", "WWW-Authenticate", "Deprecation", "Sunset", "Link"]`.
   */
  exposedHeaders?: readonly string[];
  /**
   * Request headers a page may send; default: whatever the preflight asks for
   * (`Access-Control-Request-Headers`).
   */
  allowedHeaders?: readonly string[];
  /** `Access-Control-Max-Age` of preflight answers, in seconds. Default 600. */
  maxAgeSec?: number;
}

const defaultExposed = [
  "Grpc-Metadata-*",
  "Grpc-Trailer-*",
  "Retry-After",
  "RateLimit",
  "RateLimit-Policy",
  "WWW-Authenticate",
  "Deprecation",
  "Sunset",
  "Link",
];

/**
 * CORS for the mux's HTTP routes (WebSocket upgrades have their own Origin
 * check). A preflight (`OPTIONS` with `Origin` and
 * `Access-Control-Request-Method`) on a path the route table knows is
 * answered 204 with the methods the table has for the path; one from an
 * origin not allowed is a 403. Other requests from an allowed origin get
 * `Access-Control-Allow-Origin` and the exposed headers, errors included.
 */
export function cors(options: CorsOptions): Middleware {
  const allowed = originPredicate(options.origins);
  const credentials = options.credentials ?? false;
  const any = options.origins === "*" && !credentials;
  const exposed = options.exposedHeaders ?? defaultExposed;
  const exact = exposed.filter((h) => !h.endsWith("*"));
  const prefixes = exposed.filter((h) => h.endsWith("*")).map((h) => h.slice(0, -1).toLowerCase());
  const maxAge = String(options.maxAgeSec ?? 600);
  const allowedHeaders = options.allowedHeaders?.join(", ");

  return (call, next) => {
    const res = call.res;
    const origin = call.headers.origin;
    if (res === undefined || origin === undefined) return next();
    const ok = allowed(origin, call);
    const preflight =
      call.httpMethod === "OPTIONS" &&
      call.unmatched === "method-not-allowed" &&
      call.headers["access-control-request-method"] !== undefined;
    if (!ok) {
      if (preflight) throw new RpcError(`origin ${origin} is not allowed`, Code.PermissionDenied);
      return next();
    }
    res.setHeader("Access-Control-Allow-Origin", any ? "*" : origin);
    if (!any) res.appendHeader("Vary", "Origin");
    if (credentials) res.setHeader("Access-Control-Allow-Credentials", "true");
    if (preflight) {
      res.setHeader("Access-Control-Allow-Methods", optionsAllow(call.allow ?? []).join(", "));
      const requested = call.headers["access-control-request-headers"];
      const headers = allowedHeaders ?? requested;
      if (headers !== undefined) res.setHeader("Access-Control-Allow-Headers", headers);
      if (allowedHeaders === undefined) res.appendHeader("Vary", "Access-Control-Request-Headers");
      res.setHeader("Access-Control-Max-Age", maxAge);
      return next(); // the mux answers OPTIONS on a known path with 204 and Allow
    }
    if (prefixes.length === 0) {
      if (exact.length > 0) res.setHeader("Access-Control-Expose-Headers", exact.join(", "));
    } else {
      exposeOnWrite(res, exact, prefixes);
    }
    return next();
  };
}

/** Lists the exposed headers when the response head goes out, expanding prefixes to the headers it has. */
function exposeOnWrite(
  res: ServerResponse,
  exact: readonly string[],
  prefixes: readonly string[],
): void {
  const writeHead = res.writeHead;
  res.writeHead = function (this: ServerResponse, ...args: unknown[]) {
    const names = [...exact];
    for (const name of this.getHeaderNames()) {
      if (prefixes.some((p) => name.startsWith(p))) names.push(name);
    }
    if (names.length > 0) this.setHeader("Access-Control-Expose-Headers", names.join(", "));
    return (writeHead as (...a: unknown[]) => ServerResponse).apply(this, args);
  } as ServerResponse["writeHead"];
}

function originPredicate(origins: CorsOrigins): (origin: string, call: GatewayCall) => boolean {
  if (origins === "*") return () => true;
  if (typeof origins === "function") return origins;
  if (origins instanceof RegExp) return (origin) => origins.test(origin);
  const exact = new Set(origins.filter((o): o is string => typeof o === "string"));
  const patterns = origins.filter((o): o is RegExp => o instanceof RegExp);
  return (origin) => exact.has(origin) || patterns.some((p) => p.test(origin));
}
