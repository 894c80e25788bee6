import { compilePathTemplate, type RouteSpec, type ServiceRoutes } from "@ts-gateway/runtime";
import { BenchService } from "./gen/bench/v1/bench_pb.js";

/**
 * `n` routes shaped like generated ones, for the route-table scaling rows:
 * literal collections, nested resource names, sub-resources and custom verbs
 * next to the benchmark's own `/v1/items/{id}`, under several HTTP methods.
 */
export function syntheticRoutes(n: number): RouteSpec[] {
  const routes: RouteSpec[] = [];
  for (let i = 0; i < n; i++) {
    const [method, path, rpc, body] = shape(i);
    routes.push({
      rpc,
      method,
      path,
      ...(body === undefined ? {} : { body }),
      pattern: compilePathTemplate(path),
    });
  }
  return routes;
}

/** The synthetic routes as a service's routes, bound to BenchService's methods. */
export function extraRoutes(n: number): ServiceRoutes<typeof BenchService> {
  return { service: BenchService, routes: syntheticRoutes(n) };
}

function shape(i: number): [method: string, path: string, rpc: string, body?: string] {
  switch (i % 6) {
    case 0:
      return ["GET", `/v1/collection${i}/{id}`, "getItem"];
    case 1:
      return ["GET", `/v1/{id=projects/*/collection${i}/*}`, "getItem"];
    case 2:
      return ["GET", `/v1/items/{id}/sub${i}`, "getItem"];
    case 3:
      return ["POST", `/v1/items/{id}:verb${i}`, "getItem", "*"];
    case 4:
      return ["POST", `/v1/collection${i}`, "createItem", "*"];
    default:
      return ["DELETE", `/v${i}/items/{id}`, "getItem"];
  }
}
