import type { DescMethod, DescService } from "@bufbuild/protobuf";
import { MethodOptions_IdempotencyLevel } from "@bufbuild/protobuf/wkt";
import type { ServiceRoutes } from "./route-spec.js";

/** HTTP methods that are idempotent by definition (RFC 9110 §9.2.2). */
const IDEMPOTENT_HTTP_METHODS = new Set(["GET", "HEAD", "PUT", "DELETE", "OPTIONS"]);

/**
 * The gRPC methods (`"/pkg.Service/Method"`) that are safe to retry, for
 * `BalancerOptions.retry.methods`:
 *
 * - methods declared `option idempotency_level = NO_SIDE_EFFECTS` or `IDEMPOTENT`;
 * - with a service's generated `<service>Routes`, also methods whose HTTP
 *   bindings all use idempotent HTTP methods (GET, HEAD, PUT, DELETE). A method
 *   also bound to POST or PATCH is not assumed idempotent: the retry policy is
 *   per gRPC method, whatever route the request came in on.
 *
 * @example
 * createChannel(endpoints, { retry: { methods: idempotentMethods(libraryServiceRoutes) } })
 */
export function idempotentMethods(...services: readonly (ServiceRoutes | DescService)[]): string[] {
  const names = new Set<string>();
  for (const entry of services) {
    const service = "routes" in entry ? entry.service : entry;
    const verbs = new Map<DescMethod, string[]>();
    if ("routes" in entry) {
      for (const route of entry.routes) {
        const method = service.method[route.rpc];
        if (method === undefined) continue;
        const list = verbs.get(method) ?? [];
        list.push(route.method.toUpperCase());
        verbs.set(method, list);
      }
    }
    for (const method of service.methods) {
      const declared = method.idempotency !== MethodOptions_IdempotencyLevel.IDEMPOTENCY_UNKNOWN;
      const bound = verbs.get(method);
      const byRoutes =
        bound !== undefined &&
        bound.length > 0 &&
        bound.every((v) => IDEMPOTENT_HTTP_METHODS.has(v));
      if (declared || byRoutes) names.add(`/${service.typeName}/${method.name}`);
    }
  }
  return [...names];
}
