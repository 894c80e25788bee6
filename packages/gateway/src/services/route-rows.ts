import type { Site } from "@ts-gateway/runtime";
import type { GatewayService } from "./gateway-service.js";

/** One row of the route table `ts-gateway check` prints. */
export interface RouteRow {
  readonly httpMethod: string;
  /** The template as served: the service's `pathPrefix` and the rule's template. */
  readonly template: string;
  /** The hosts it is served for; empty for any host. */
  readonly hosts: readonly string[];
  readonly service: string;
  readonly rpc: string;
  readonly backend: string;
}

/**
 * The routes of the given services, in registration order; with RPC
 * protocols on (`mux.protocols`: connect, grpc-web, grpc), each service's
 * methods follow as `POST /<package>.<Service>/<Method>` rows.
 */
export function routeRows(
  entries: readonly { service: GatewayService; backend: string; site: Site }[],
  rpcProtocols: readonly string[] = [],
): RouteRow[] {
  const rows: RouteRow[] = [];
  for (const { service, backend, site } of entries) {
    const desc = service.routes.service;
    for (const route of service.routes.routes) {
      const method = desc.method[route.rpc];
      rows.push({
        httpMethod: route.method,
        template: (site.pathPrefix ?? "") + route.path,
        hosts: site.hosts ?? [],
        service: desc.typeName,
        rpc: method?.name ?? route.rpc,
        backend,
      });
    }
  }
  if (rpcProtocols.length === 0) return rows;
  for (const { service, backend } of entries) {
    const desc = service.routes.service;
    for (const method of desc.methods) {
      rows.push({
        httpMethod: "POST",
        template: `/${desc.typeName}/${method.name}`,
        // The RPC protocols answer at their paths whatever the host.
        hosts: [],
        service: desc.typeName,
        rpc: method.name,
        backend,
      });
    }
  }
  return rows;
}

/** The rows as an aligned text table with a header line; a HOST column when some routes name hosts. */
export function formatRouteTable(rows: readonly RouteRow[]): string {
  const withHosts = rows.some((r) => r.hosts.length > 0);
  const header = [
    ...(withHosts ? ["HOST"] : []),
    "METHOD",
    "TEMPLATE",
    "SERVICE",
    "RPC",
    "BACKEND",
  ];
  const cells = rows.map((r) => [
    ...(withHosts ? [r.hosts.length === 0 ? "*" : r.hosts.join(",")] : []),
    r.httpMethod,
    r.template,
    r.service,
    r.rpc,
    r.backend,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  return [header, ...cells]
    .map((line) =>
      line.map((cell, i) => (i === line.length - 1 ? cell : cell.padEnd(widths[i]!))).join("  "),
    )
    .join("\n");
}
