export type { MountDocsOptions } from "./mount-docs.js";
export { mountDocs } from "./mount-docs.js";
