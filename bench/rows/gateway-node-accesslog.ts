import { mkdtempSync } from "node:fs";
import type { RequestListener } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { credentials } from "@grpc/grpc-js";
import { accessLog, Mux } from "@ts-gateway/runtime";
import pino from "pino";
import { BenchServiceClient, registerBenchService } from "../gen/bench/v1/bench_gateway.js";

/**
 * `gateway-node` writing one access-log line per call to a file through
 * pino's async destination: the cost of logging every request.
 */
export function createRow(backend: string): RequestListener {
  const mux = new Mux();
  registerBenchService(mux, new BenchServiceClient(backend, credentials.createInsecure()));
  const file = join(mkdtempSync(join(tmpdir(), "bench-accesslog-")), "access.log");
  const logger = pino({}, pino.destination({ dest: file, sync: false }));
  mux.use(accessLog({ logger }));
  return mux.handler;
}
