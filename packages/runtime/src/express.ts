// @ts-gateway/runtime/express: mounts a Mux in Express.

export { expressRouter } from "./http/express.js";
export type { ExpressRouter } from "./http/express.js";
