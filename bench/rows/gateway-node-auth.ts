import type { RequestListener } from "node:http";
import { credentials } from "@grpc/grpc-js";
import { Mux } from "@ts-gateway/runtime";
import { benchJwtAuth } from "../auth-fixture.js";
import { BenchServiceClient, registerBenchService } from "../gen/bench/v1/bench_gateway.js";

/** `gateway-node` behind `jwtAuth` (see {@link benchJwtAuth}; `BENCH_AUTH_CACHE=0` verifies every call). */
export async function createRow(backend: string): Promise<RequestListener> {
  const mux = new Mux();
  registerBenchService(mux, new BenchServiceClient(backend, credentials.createInsecure()));
  const { middleware, authorization } = await benchJwtAuth();
  mux.use(middleware);
  return (req, res) => {
    req.headers.authorization = authorization;
    mux.handle(req, res);
  };
}
