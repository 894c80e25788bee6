export { protocGenTsGateway, version } from "./plugin.js";
export type { GatewayPluginOptions } from "./options.js";
