import { createRequire } from "node:module";
import type { ExpressRouter } from "../../types/express-router.js";
import type { Mux } from "../mux/mux.js";

const require = createRequire(import.meta.url);

export type { ExpressRouter };

/**
 * Mounts a mux in Express: `app.use(expressRouter(mux))` or under a prefix.
 * Requests no route matches go to `next()`, so the app's own routes still work.
 *
 * Express is an optional peer: it is loaded here, when a router is made, so
 * generated code and a `node:http` mux load without it.
 */
export function expressRouter(mux: Mux): ExpressRouter {
  const express = require("express") as typeof import("express");
  const router = express.Router();
  router.use((req, res, next) => mux.handle(req, res, next));
  return router;
}
