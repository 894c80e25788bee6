// protoc-gen-ts-gateway/http-rules: the plugin's route extraction, for programs
// that read descriptors at run time (the `ts-gateway` CLI serving a descriptor
// set) and must derive exactly the routes generated code would have.

export { ApiConfigurationError, readApiConfiguration } from "./api-configuration.js";
export type { ReportInvalidRule, RouteInfo } from "./http-rules.js";
export { collectRoutes } from "./http-rules.js";
export type { GatewayPluginOptions } from "./options.js";
export { checkRouteConflicts } from "./route-conflicts.js";
export { GenerationError, methodLocation } from "./source-location.js";
