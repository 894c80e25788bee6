// Hand-written, not emitted by tsc: a declaration file keeps this comment, an
// emitted one would not. Express is an optional peer of @ts-gateway/runtime, and
// this is the only place its types are named: where @types/express is not
// installed, the import fails silently and ExpressRouter is `any`, so code
// generated for Express type-checks in a project that uses the mux on
// node:http only, even with `skipLibCheck: false`.

// @ts-ignore: express types are optional (see above).
import type { Router } from "express";

/**
 * Express's `Router`, what `app.use` accepts: what `expressRouter` and the
 * generated `create<S>Router` return (`any` without `@types/express`).
 */
export type ExpressRouter = Router;
