export { InvalidRulesError } from "./invalid-rules.js";
export type { InvalidRuleMode } from "./invalid-rules.js";
export { createProtocGenTsGateway, protocGenTsGateway, version } from "./plugin.js";
export type { Warn } from "./plugin.js";
export type { GatewayPluginOptions, OpenApiOptions } from "./options.js";
