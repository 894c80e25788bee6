import type { Middleware } from "../pipeline/pipeline.js";
import { type RouteRule, routePolicy } from "./route-policy.js";

/** How a deprecated route announces it. */
export interface DeprecationPolicy {
  /** Mark the route deprecated even when the proto does not. */
  deprecated?: boolean;
  /** Since when it is deprecated: `Deprecation: @<epoch seconds>` (RFC 9745). Default: `@0`, deprecated already. */
  since?: Date;
  /** When it stops answering: `Sunset` (RFC 8594). */
  sunset?: Date | undefined;
  /** Documentation of the deprecation or its replacement: `Link: <url>; rel="deprecation"`. */
  link?: string | undefined;
}

/** Options of {@link deprecation}. */
export interface DeprecationOptions extends DeprecationPolicy {
  /** Per-route dates and links, by selector; `options: false` silences a route. */
  routes?: readonly RouteRule<DeprecationPolicy>[];
}

/**
 * Announces deprecated methods on every answer: a route whose method or
 * service is marked `deprecated` in the proto (or by a rule) answers with
 * `Deprecation` (RFC 9745: `@<epoch seconds>` of `since`, `@0` without one)
 * and, where configured, `Sunset` (RFC 8594) and a `Link` with
 * `rel="deprecation"`.
 */
export function deprecation(options: DeprecationOptions = {}): Middleware {
  const headersOf = routePolicy<DeprecationPolicy, DeprecationPolicy>(
    options,
    options.routes,
    (o) => o,
  );
  const cache = new Map<DeprecationPolicy, Array<[string, string]>>();
  return (call, next) => {
    const route = call.route;
    if (route === undefined) return next();
    const p = headersOf(call);
    if (p === undefined) return next();
    const marked =
      p.deprecated === true ||
      route.method?.deprecated === true ||
      route.method?.parent.deprecated === true;
    if (!marked) return next();
    let list = cache.get(p);
    if (list === undefined) {
      list = [["Deprecation", `@${Math.floor((p.since?.getTime() ?? 0) / 1000)}`]];
      if (p.sunset !== undefined) list.push(["Sunset", p.sunset.toUTCString()]);
      if (p.link !== undefined)
        list.push(["Link", `<${p.link}>; rel="deprecation"; type="text/html"`]);
      cache.set(p, list);
    }
    for (const [name, value] of list) call.setHeader(name, value);
    return next();
  };
}
