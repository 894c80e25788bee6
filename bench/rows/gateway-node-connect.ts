import type { RequestListener } from "node:http";
import { credentials } from "@grpc/grpc-js";
import { Mux } from "@ts-gateway/runtime";
import { BenchServiceClient, registerBenchService } from "../gen/bench/v1/bench_gateway.js";

/**
 * `gateway-node` with Connect on (`protocols: ["rest", "connect"]`), measured
 * with the same calls over Connect (JSON, unary: `POST /bench.v1.BenchService/<Method>`,
 * see `connectRequests`) rather than REST: what a Connect call costs next to
 * the same call over REST, through the same mux, client and backend.
 */
export function createRow(backend: string): RequestListener {
  const mux = new Mux({ protocols: ["rest", "connect"] });
  registerBenchService(mux, new BenchServiceClient(backend, credentials.createInsecure()));
  return mux.handler;
}
