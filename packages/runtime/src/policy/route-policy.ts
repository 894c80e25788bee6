import type { GatewayCall, RouteInfo } from "../pipeline/pipeline.js";

/**
 * Which routes a rule applies to, like the `selector` of grpc-gateway's and
 * Google's API configuration YAML. Every field given must match.
 */
export interface RouteSelector {
  /**
   * A method or service by full name: `library.v1.LibraryService.GetShelf`,
   * `library.v1.LibraryService.*` (every method of the service), `library.v1.*`
   * or `*`.
   */
  selector?: string;
  /** The route's path template exactly as written in the proto (`/v1/{name=shelves/*}`). */
  template?: string;
  /** The route's HTTP method (`GET`). */
  httpMethod?: string;
}

/**
 * A per-route override of a policy: the first rule whose `match` (a selector
 * or a list of them, any of which may match) fits the route gives its options;
 * `false` turns the policy off there.
 */
export interface RouteRule<T> {
  match: RouteSelector | readonly RouteSelector[];
  options: T | false;
}

/** Whether a route fits a selector. */
export function selects(selector: RouteSelector, route: RouteInfo): boolean {
  if (selector.httpMethod !== undefined && selector.httpMethod.toUpperCase() !== route.httpMethod)
    return false;
  if (selector.template !== undefined && selector.template !== route.template) return false;
  const name = selector.selector;
  if (name === undefined || name === "*") return true;
  const full = route.service === "" ? "" : `${route.service}.${route.rpc}`;
  if (name.endsWith(".*")) return full.startsWith(name.slice(0, -1));
  return name === full;
}

/**
 * Resolves a policy per route, once, and keeps it: `make` receives the
 * mux-wide `base` options merged with the first matching rule's; where a rule
 * turns the policy off the result is undefined. Unmatched requests (404, 405)
 * get the mux-wide policy.
 */
export function routePolicy<T extends object, R>(
  base: T,
  rules: readonly RouteRule<Partial<T>>[] | undefined,
  make: (options: T) => R,
): (call: Pick<GatewayCall, "route">) => R | undefined {
  const cache = new Map<RouteInfo | undefined, R | undefined>();
  return (call) => {
    const route = call.route;
    const cached = cache.get(route);
    if (cached !== undefined || cache.has(route)) return cached;
    const rule =
      route === undefined
        ? undefined
        : rules?.find((r) =>
            (Array.isArray(r.match) ? r.match : [r.match as RouteSelector]).some((s) =>
              selects(s, route),
            ),
          );
    let value: R | undefined;
    if (rule === undefined) value = make(base);
    else if (rule.options !== false) value = make({ ...base, ...rule.options });
    cache.set(route, value);
    return value;
  };
}
