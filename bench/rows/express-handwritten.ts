import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import express, { type Express, type Response } from "express";

type Callback = (err: grpc.ServiceError | null, value?: unknown) => void;
type Unary = (request: unknown, callback: Callback) => void;

/**
 * Row 4: what a user writes without this project — Express with
 * `express.json()`, a `@grpc/proto-loader` client, and one hand-written route
 * per method.
 */
export function createRow(backend: string): Express {
  const require = createRequire(import.meta.url);
  const googleProtos = dirname(require.resolve("google-proto-files/package.json"));
  const benchProtos = join(dirname(fileURLToPath(import.meta.url)), "..", "proto");
  const definition = protoLoader.loadSync("bench/v1/bench.proto", {
    includeDirs: [benchProtos, googleProtos],
    longs: String,
    enums: String,
    defaults: false,
    oneofs: true,
  });
  const pkg = grpc.loadPackageDefinition(definition) as any;
  const client = new pkg.bench.v1.BenchService(backend, grpc.credentials.createInsecure()) as {
    getItem: Unary;
    createItem: Unary;
    listItems: Unary;
  };
  const reply = (res: Response) => (err: grpc.ServiceError | null, value?: unknown) => {
    if (err) res.status(500).json({ code: err.code, message: err.details });
    else res.json(value);
  };
  const app = express();
  app.use(express.json());
  app.get("/v1/items/:id", (req, res) => client.getItem({ id: req.params.id }, reply(res)));
  app.post("/v1/items", (req, res) => client.createItem(req.body, reply(res)));
  app.get("/v1/items", (req, res) =>
    client.listItems({ pageSize: Number(req.query.pageSize ?? 0) }, reply(res)),
  );
  return app;
}
