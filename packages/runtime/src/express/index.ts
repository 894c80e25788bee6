// @ts-gateway/runtime/express: mounts a Mux in Express.

export type { ExpressRouter } from "../adapters/express.js";
export { expressRouter } from "../adapters/express.js";
