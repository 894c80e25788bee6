import type { RequestListener } from "node:http";
import { credentials } from "@grpc/grpc-js";
import { Mux } from "@ts-gateway/runtime";
import { BenchServiceClient, registerBenchService } from "../gen/bench/v1/bench_gateway.js";

/**
 * `gateway-node` with what the gateway trims from grpc-js set back by the user
 * (a user's option always wins): grpc-js's own channel defaults (see
 * grpc-channel-defaults.ts), and a call invocation transformer (here one that
 * changes nothing), which makes unary calls go through `grpc.Client` instead
 * of straight to the channel (grpc-unary-call.ts). Measured in every run.
 */
export function createRow(backend: string): RequestListener {
  const mux = new Mux();
  const client = new BenchServiceClient(backend, credentials.createInsecure(), {
    "grpc.enable_channelz": 1,
    callInvocationTransformer: (properties) => properties,
  });
  registerBenchService(mux, client);
  return mux.handler;
}
