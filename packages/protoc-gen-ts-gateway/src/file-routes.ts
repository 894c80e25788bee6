import type { DescFile, DescService } from "@bufbuild/protobuf";
import {
  collectRoutes,
  type ReportInvalidRule,
  type RouteInfo,
  type RouteOptions,
} from "./http-rules.js";
import type { HttpRule } from "./proto/google/api/http_pb.js";
import { checkRouteConflicts } from "./route-conflicts.js";

/** A service and the routes generated for it. */
export interface ServiceRouteInfos {
  readonly service: DescService;
  readonly routes: readonly RouteInfo[];
}

/**
 * The routes of every service of a file, as the code and the OpenAPI document
 * of the file get them: invalid rules, and the later route of two that
 * conflict, are reported to `report` and left out.
 */
export function collectFileRoutes(
  file: DescFile,
  options: RouteOptions,
  configuredRules: ReadonlyMap<string, HttpRule>,
  report: ReportInvalidRule,
): ServiceRouteInfos[] {
  const perService = file.services.map((service) => ({
    service,
    routes: collectRoutes(service, options, configuredRules, report),
  }));
  const kept = new Set(
    checkRouteConflicts(
      perService.flatMap((s) => s.routes),
      report,
    ),
  );
  return perService.map(({ service, routes }) => ({
    service,
    routes: routes.filter((r) => kept.has(r)),
  }));
}
