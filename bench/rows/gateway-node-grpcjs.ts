import type { RequestListener } from "node:http";
import { credentials } from "@grpc/grpc-js";
import { Mux } from "@ts-gateway/runtime";
import { BenchServiceClient, registerBenchService } from "../gen/bench/v1/bench_gateway.js";

/**
 * `gateway-node` with grpc-js's own channel defaults set back by the user
 * (which always wins over the gateway's, see grpc-channel-defaults.ts): what
 * the gateway's grpc-js trims buy, measured in every run.
 */
export function createRow(backend: string): RequestListener {
  const mux = new Mux();
  const client = new BenchServiceClient(backend, credentials.createInsecure(), {
    "grpc.enable_channelz": 1,
  });
  registerBenchService(mux, client);
  return mux.handler;
}
