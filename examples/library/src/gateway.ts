import { Code, Mux } from "@ts-gateway/runtime";
import { type MountHealthOptions, mountHealth } from "@ts-gateway/runtime/health";
import { expressRouter } from "@ts-gateway/runtime/express";
import express, { type Express } from "express";
import {
  type LibraryServiceApi,
  registerLibraryService,
} from "./gen/library/v1/library_gateway.js";

/** Options for {@link createGatewayApp}. */
export interface GatewayAppOptions {
  /** Serve `/healthz` (backend health via `channel`), `/readyz` and `/livez` on the gateway's mux. */
  health?: MountHealthOptions;
  /** The mux to register on, e.g. `new Mux({ webSocket: true })` to serve WebSocket upgrades too. */
  mux?: Mux;
}

/**
 * The gateway app: the generated router serving the REST/JSON API by calling
 * `backend` — a `LibraryServiceClient` (remote gRPC server) or a local
 * implementation (in-process) — plus the app's own routes and, with
 * `options.health`, the health endpoints.
 */
export function createGatewayApp(
  backend: LibraryServiceApi,
  options: GatewayAppOptions = {},
): Express {
  const app = express();
  app.disable("x-powered-by");
  const mux = options.mux ?? new Mux();
  registerLibraryService(mux, backend);
  if (options.health !== undefined) mountHealth(mux, options.health);
  app.use(expressRouter(mux));
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
