import type { RequestListener } from "node:http";
import { credentials } from "@grpc/grpc-js";
import { Mux } from "@ts-gateway/runtime";
import { mountMetrics } from "@ts-gateway/runtime/metrics";
import { BenchServiceClient, registerBenchService } from "../gen/bench/v1/bench_gateway.js";

/** `gateway-node` with Prometheus metrics on (default collectors, /metrics served): their cost per call. */
export function createRow(backend: string): RequestListener {
  const mux = new Mux();
  registerBenchService(mux, new BenchServiceClient(backend, credentials.createInsecure()));
  mountMetrics(mux);
  return mux.handler;
}
