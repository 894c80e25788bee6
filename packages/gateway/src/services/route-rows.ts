import type { GatewayService } from "./gateway-service.js";

/** One row of the route table `ts-gateway check` prints. */
export interface RouteRow {
  readonly httpMethod: string;
  readonly template: string;
  readonly service: string;
  readonly rpc: string;
  readonly backend: string;
}

/** The routes of the given services, in registration order. */
export function routeRows(
  entries: readonly { service: GatewayService; backend: string }[],
): RouteRow[] {
  const rows: RouteRow[] = [];
  for (const { service, backend } of entries) {
    const desc = service.routes.service;
    for (const route of service.routes.routes) {
      const method = desc.method[route.rpc];
      rows.push({
        httpMethod: route.method,
        template: route.path,
        service: desc.typeName,
        rpc: method?.name ?? route.rpc,
        backend,
      });
    }
  }
  return rows;
}

/** The rows as an aligned text table with a header line. */
export function formatRouteTable(rows: readonly RouteRow[]): string {
  const header = ["METHOD", "TEMPLATE", "SERVICE", "RPC", "BACKEND"];
  const cells = rows.map((r) => [r.httpMethod, r.template, r.service, r.rpc, r.backend]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  return [header, ...cells]
    .map((line) =>
      line.map((cell, i) => (i === line.length - 1 ? cell : cell.padEnd(widths[i]!))).join("  "),
    )
    .join("\n");
}
