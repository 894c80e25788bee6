import { Router } from "express";
import type { Mux } from "./mux.js";

/**
 * Mounts a mux in Express: `app.use(expressRouter(mux))` or under a prefix.
 * Requests no route matches go to `next()`, so the app's own routes still work.
 */
export function expressRouter(mux: Mux): Router {
  const router = Router();
  router.use((req, res, next) => mux.handle(req, res, next));
  return router;
}
