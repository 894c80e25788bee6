export { mountDocs } from "./mount-docs.js";
export type { MountDocsOptions } from "./mount-docs.js";
