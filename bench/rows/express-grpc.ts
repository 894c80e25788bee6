import express, { type Express } from "express";
import { plainGrpcHandlers } from "./plain-grpc.js";

/** Row 3: Express routes doing exactly what row 1 (floor-grpc) does — Express's own cost. */
export function createRow(backend: string): Express {
  const h = plainGrpcHandlers(backend);
  const app = express();
  app.get("/v1/items/:id", (req, res) => h.getItem(req.params.id, res));
  app.post("/v1/items", (req, res) => h.createItem(req, res));
  app.get("/v1/items", (req, res) => {
    const url = req.url;
    const q = url.indexOf("?");
    h.listItems(q === -1 ? "" : url.slice(q + 1), res);
  });
  return app;
}
