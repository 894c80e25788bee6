import type { RequestListener } from "node:http";
import { Mux } from "@ts-gateway/runtime";
import { registerBenchService } from "../gen/bench/v1/bench_gateway.js";
import { BenchImplementation } from "../service.js";
import { extraRoutes } from "../synthetic-routes.js";

/**
 * Row 7: the generated routes bound to a local implementation (no gRPC hop)
 * on node:http. With `BENCH_ROUTES=n` the mux also holds generated-like routes
 * up to n in all, for the route-table scaling rows.
 */
export function createRow(): RequestListener {
  const mux = new Mux();
  const implementation = new BenchImplementation();
  registerBenchService(mux, implementation);
  const total = Number(process.env.BENCH_ROUTES ?? 0);
  if (total > 3) mux.register(extraRoutes(total - 3), implementation);
  return mux.handler;
}
