import { RouteTable } from "@ts-gateway/runtime/path-template";
import type { ReportInvalidRule, RouteInfo } from "./http-rules.js";
import { GenerationError } from "./source-location.js";

/**
 * Fails generation when two routes of one file would match the same requests
 * (same HTTP method, equivalent templates): grpc-gateway silently lets the last
 * registered win; we name both methods instead. With `report`, every later
 * route of a conflicting pair is reported instead and left out of the
 * returned routes.
 */
export function checkRouteConflicts(
  routes: readonly RouteInfo[],
  report?: ReportInvalidRule,
): RouteInfo[] {
  const table = new RouteTable<RouteInfo>();
  const kept: RouteInfo[] = [];
  for (const route of routes) {
    try {
      table.add(
        route.httpMethod,
        route.pattern,
        route,
        `${route.method.parent.name}.${route.method.name}`,
      );
      kept.push(route);
    } catch (err) {
      const error = new GenerationError(
        route.method,
        err instanceof Error ? err.message : String(err),
      );
      if (report === undefined) throw error;
      report(error);
    }
  }
  return kept;
}
