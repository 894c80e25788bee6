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

/** What a selector looks at: a route's template and HTTP method (none for a call without a route), service and method. */
export interface SelectedRoute {
  readonly template: string | undefined;
  readonly httpMethod: string | undefined;
  /** The service's full name; `""` for a hand-written route. */
  readonly service: string;
  readonly rpc: string;
}

/**
 * Whether a route fits a selector. A call without a route (a Connect or gRPC
 * call of the method) fits only selectors that name no template nor HTTP method.
 */
export function selects(selector: RouteSelector, route: SelectedRoute): boolean {
  if (selector.httpMethod !== undefined && selector.httpMethod.toUpperCase() !== route.httpMethod)
    return false;
  if (selector.template !== undefined && selector.template !== route.template) return false;
  const name = selector.selector;
  if (name === undefined || name === "*") return true;
  const full = route.service === "" ? "" : `${route.service}.${route.rpc}`;
  if (name.endsWith(".*")) return full.startsWith(name.slice(0, -1));
  return name === full;
}

/** The first rule of `rules` whose `match` fits the route. */
export function ruleFor<T>(
  rules: readonly RouteRule<T>[] | undefined,
  route: SelectedRoute,
): RouteRule<T> | undefined {
  return rules?.find((r) =>
    (Array.isArray(r.match) ? r.match : [r.match as RouteSelector]).some((s) => selects(s, route)),
  );
}
