import { type RouteRule, type RouteSelector, selects } from "../core/route-selector.js";
import type { GatewayCall, RouteInfo } from "../pipeline/pipeline.js";

export type { RouteRule, RouteSelector } from "../core/route-selector.js";
export { selects } from "../core/route-selector.js";

/** Whether a selector names an operational route: by its template, not by a wildcard. */
function names(selector: RouteSelector, route: RouteInfo): boolean {
  return selector.template !== undefined && selects(selector, route);
}

/**
 * Resolves a policy per route, once, and keeps it: `make` receives the
 * mux-wide `base` options merged with the first matching rule's; where a rule
 * turns the policy off the result is undefined. Unmatched requests (404, 405)
 * get the mux-wide policy. With `access` (auth, rate limits), operational
 * routes (health, metrics, docs: {@link RouteInfo.operational}) are off unless
 * a rule names their template, as probes and scrapes must not need a token
 * nor run out of a client's budget.
 */
export function routePolicy<T extends object, R>(
  base: T,
  rules: readonly RouteRule<Partial<T>>[] | undefined,
  make: (options: T) => R,
  access = false,
): (call: Pick<GatewayCall, "route">) => R | undefined {
  const cache = new Map<RouteInfo | undefined, R | undefined>();
  return (call) => {
    const route = call.route;
    const cached = cache.get(route);
    if (cached !== undefined || cache.has(route)) return cached;
    const exempt = access && route?.operational === true;
    const rule =
      route === undefined
        ? undefined
        : rules?.find((r) =>
            (Array.isArray(r.match) ? r.match : [r.match as RouteSelector]).some((s) =>
              exempt ? names(s, route) : selects(s, route),
            ),
          );
    let value: R | undefined;
    if (rule === undefined) value = exempt ? undefined : make(base);
    else if (rule.options !== false) value = make({ ...base, ...rule.options });
    cache.set(route, value);
    return value;
  };
}
