import type { RequestListener } from "node:http";
import { credentials } from "@grpc/grpc-js";
import { Mux } from "@ts-gateway/runtime";
import { BenchServiceClient, registerBenchService } from "../gen/bench/v1/bench_gateway.js";

/** Row 5: the generated routes on the runtime mux, on bare node:http, with the generated client. */
export function createRow(backend: string): RequestListener {
  const mux = new Mux();
  registerBenchService(mux, new BenchServiceClient(backend, credentials.createInsecure()));
  return mux.handler;
}
