import type { RequestListener } from "node:http";
import { credentials } from "@grpc/grpc-js";
import { Mux } from "@ts-gateway/runtime";
import { BenchServiceClient, registerBenchService } from "../gen/bench/v1/bench_gateway.js";

/** `gateway-node` with one no-op middleware in the request pipeline: the pipeline's own cost. */
export function createRow(backend: string): RequestListener {
  const mux = new Mux();
  registerBenchService(mux, new BenchServiceClient(backend, credentials.createInsecure()));
  mux.use((_call, next) => next());
  return mux.handler;
}
