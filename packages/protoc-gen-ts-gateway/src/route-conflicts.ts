import { RouteTable } from "@ts-gateway/runtime/path-template";
import type { RouteInfo } from "./http-rules.js";
import { GenerationError } from "./source-location.js";

/**
 * Fails generation when two routes of one file would match the same requests
 * (same HTTP method, equivalent templates): grpc-gateway silently lets the last
 * registered win; we name both methods instead.
 */
export function checkRouteConflicts(routes: readonly RouteInfo[]): void {
  const table = new RouteTable<RouteInfo>();
  for (const route of routes) {
    try {
      table.add(
        route.httpMethod,
        route.pattern,
        route,
        `${route.method.parent.name}.${route.method.name}`,
      );
    } catch (err) {
      throw new GenerationError(route.method, err instanceof Error ? err.message : String(err));
    }
  }
}
