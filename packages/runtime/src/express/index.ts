// @ts-gateway/runtime/express: mounts a Mux in Express.

export { expressRouter } from "../adapters/express.js";
export type { ExpressRouter } from "../adapters/express.js";
