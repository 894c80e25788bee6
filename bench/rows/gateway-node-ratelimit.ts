import type { RequestListener } from "node:http";
import { credentials } from "@grpc/grpc-js";
import { Mux } from "@ts-gateway/runtime";
import { rateLimit } from "@ts-gateway/runtime/rate-limit";
import { BenchServiceClient, registerBenchService } from "../gen/bench/v1/bench_gateway.js";

/** `gateway-node` behind an in-memory `rateLimit` by client address, never exhausted: the cost of counting. */
export function createRow(backend: string): RequestListener {
  const mux = new Mux();
  registerBenchService(mux, new BenchServiceClient(backend, credentials.createInsecure()));
  mux.use(rateLimit({ points: 1e12, durationSec: 60, key: "ip" }));
  return mux.handler;
}
