import { Code } from "@ts-gateway/runtime";
import express, { type Express } from "express";
import {
  createLibraryServiceRouter,
  type LibraryServiceApi,
} from "./gen/library/v1/library_gateway.js";

/**
 * The gateway app: the generated router serving the REST/JSON API by calling
 * `backend` — a `LibraryServiceClient` (remote gRPC server) or a local
 * implementation (in-process) — plus the app's own routes.
 */
export function createGatewayApp(backend: LibraryServiceApi): Express {
  const app = express();
  app.disable("x-powered-by");
  app.use(createLibraryServiceRouter(backend));
  app.get("/", (_req, res) => {
    res.json({ service: "library.v1.LibraryService", docs: "see README.md" });
  });
  // Anything else: a JSON 404 in the gateway's error format.
  app.use((req, res) => {
    res.status(404).json({
      code: Code.NotFound,
      message: `no route for ${req.method} ${req.path}`,
      details: [],
    });
  });
  return app;
}
