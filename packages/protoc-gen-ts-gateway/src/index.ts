export type { GatewayPluginOptions, OpenApiOptions } from "./options.js";
export { protocGenTsGateway, version } from "./plugin.js";
