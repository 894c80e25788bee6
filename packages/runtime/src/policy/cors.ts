import type { ServerResponse } from "node:http";
import { Code, RpcError } from "../core/rpc-error.js";
import { optionsAllow } from "../mux/mux.js";
import type { GatewayCall, Middleware } from "../pipeline/pipeline.js";
import { type RouteRule, routePolicy } from "./route-policy.js";

/** Which origins may call: `"*"`, a list (exact origins or patterns), a pattern, or a predicate. */
export type CorsOrigins =
  | "*"
  | readonly (string | RegExp)[]
  | RegExp
  | ((origin: string, call: GatewayCall) => boolean);

/** Options of {@link cors}. */
export interface CorsOptions extends CorsPolicy {
  /**
   * Per-route CORS, by selector: a rule's fields replace the mux-wide ones;
   * `options: false` turns CORS off there (no CORS headers: a browser page
   * of another origin cannot call the route).
   */
  routes?: readonly RouteRule<Partial<CorsPolicy>>[];
}

/** What a route's CORS allows: per-route rules override these fields. */
export interface CorsPolicy {
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

/** A {@link CorsPolicy} made ready for requests, once per route. */
interface ResolvedCors {
  readonly allowed: (origin: string, call: GatewayCall) => boolean;
  readonly credentials: boolean;
  /** `*` may be sent (any origin, no credentials). */
  readonly any: boolean;
  readonly exact: readonly string[];
  readonly prefixes: readonly string[];
  readonly maxAge: string;
  readonly allowedHeaders: string | undefined;
}

function resolveCors(policy: CorsPolicy): ResolvedCors {
  const credentials = policy.credentials ?? false;
  const exposed = policy.exposedHeaders ?? defaultExposed;
  return {
    allowed: originPredicate(policy.origins),
    credentials,
    any: policy.origins === "*" && !credentials,
    exact: exposed.filter((h) => !h.endsWith("*")),
    prefixes: exposed.filter((h) => h.endsWith("*")).map((h) => h.slice(0, -1).toLowerCase()),
    maxAge: String(policy.maxAgeSec ?? 600),
    allowedHeaders: policy.allowedHeaders?.join(", "),
  };
}

/**
 * CORS for the mux's HTTP routes (WebSocket upgrades have their own Origin
 * check), mux-wide or per route. A preflight (`OPTIONS` with `Origin` and
 * `Access-Control-Request-Method`) on a path the route table knows is
 * answered 204 by the policy of the route the requested method resolves to
 * on that path (the request the browser will send; the mux-wide policy when
 * the path has no route for it), listing in `Access-Control-Allow-Methods`
 * the path's methods whose routes admit the origin; a preflight from an
 * origin that policy refuses is a 403, and one for a route whose CORS is off
 * gets no CORS headers. Other requests from an allowed origin get
 * `Access-Control-Allow-Origin` and the exposed headers, errors included.
 */
export function cors(options: CorsOptions): Middleware {
  const policy = routePolicy<CorsPolicy, ResolvedCors>(options, options.routes, resolveCors);

  return (call, next) => {
    const res = call.res;
    const origin = call.headers.origin;
    if (res === undefined || origin === undefined) return next();
    const requestedMethod = call.headers["access-control-request-method"];
    const preflight =
      call.httpMethod === "OPTIONS" &&
      call.unmatched === "method-not-allowed" &&
      requestedMethod !== undefined;
    const p = policy(preflight ? { route: call.routeFor(requestedMethod) } : call);
    if (p === undefined) return next();
    if (!p.allowed(origin, call)) {
      if (preflight) throw new RpcError(`origin ${origin} is not allowed`, Code.PermissionDenied);
      return next();
    }
    res.setHeader("Access-Control-Allow-Origin", p.any ? "*" : origin);
    if (!p.any) res.appendHeader("Vary", "Origin");
    if (p.credentials) res.setHeader("Access-Control-Allow-Credentials", "true");
    if (preflight) {
      const methods = optionsAllow(call.allow ?? []).filter((method) => {
        if (method === "OPTIONS") return true;
        const other = policy({ route: call.routeFor(method) });
        return other?.allowed(origin, call) === true;
      });
      res.setHeader("Access-Control-Allow-Methods", methods.join(", "));
      const requested = call.headers["access-control-request-headers"];
      const headers = p.allowedHeaders ?? requested;
      if (headers !== undefined) res.setHeader("Access-Control-Allow-Headers", headers);
      if (p.allowedHeaders === undefined)
        res.appendHeader("Vary", "Access-Control-Request-Headers");
      res.setHeader("Access-Control-Max-Age", p.maxAge);
      return next(); // the mux answers OPTIONS on a known path with 204 and Allow
    }
    if (p.prefixes.length === 0) {
      if (p.exact.length > 0) res.setHeader("Access-Control-Expose-Headers", p.exact.join(", "));
    } else {
      exposeOnWrite(res, p.exact, p.prefixes);
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
