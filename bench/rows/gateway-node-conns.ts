import type { RequestListener } from "node:http";
import { credentials } from "@grpc/grpc-js";
import { Mux } from "@ts-gateway/runtime";
import { BenchServiceClient, registerBenchService } from "../gen/bench/v1/bench_gateway.js";

/** Experiment: gateway-node over N HTTP/2 connections (BENCH_CONNS, default 2), round-robin per call. */
export function createRow(backend: string): RequestListener {
  const n = Number(process.env.BENCH_CONNS ?? 2);
  const clients = Array.from(
    { length: n },
    () =>
      new BenchServiceClient(backend, credentials.createInsecure(), {
        "grpc.use_local_subchannel_pool": 1,
      }),
  );
  let next = 0;
  const pick = () => clients[next++ % n] as BenchServiceClient;
  const mux = new Mux();
  registerBenchService(mux, {
    getItem: (r, c) => pick().getItem(r, c),
    createItem: (r, c) => pick().createItem(r, c),
    listItems: (r, c) => pick().listItems(r, c),
  });
  return mux.handler;
}
