import { credentials } from "@grpc/grpc-js";
import express, { type Express } from "express";
import { BenchServiceClient, createBenchServiceRouter } from "../gen/bench/v1/bench_gateway.js";

/** Row 6: the generated router mounted in Express, as the README shows. */
export function createRow(backend: string): Express {
  const app = express();
  app.use(createBenchServiceRouter(new BenchServiceClient(backend, credentials.createInsecure())));
  return app;
}
