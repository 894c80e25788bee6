import { type RouteRule, ruleFor } from "../core/route-selector.js";
import type { GatewayCall, RouteInfo } from "../pipeline/pipeline.js";

export type { RouteRule, RouteSelector } from "../core/route-selector.js";
export { selects } from "../core/route-selector.js";

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
    const rule = route === undefined ? undefined : ruleFor(rules, route);
    let value: R | undefined;
    if (rule === undefined) value = make(base);
    else if (rule.options !== false) value = make({ ...base, ...rule.options });
    cache.set(route, value);
    return value;
  };
}
