export type { InvalidRuleMode } from "./invalid-rules.js";
export { InvalidRulesError } from "./invalid-rules.js";
export type { GatewayPluginOptions, OpenApiOptions } from "./options.js";
export type { Warn } from "./plugin.js";
export { createProtocGenTsGateway, protocGenTsGateway, version } from "./plugin.js";
