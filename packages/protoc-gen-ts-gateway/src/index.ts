export { protocGenTsGateway, version } from "./plugin.js";
export type { GatewayPluginOptions, OpenApiOptions } from "./options.js";
