// ts-gateway: the deployable gateway (`ts-gateway serve config.yaml`), and its
// pieces for programs that embed it.

export { main } from "./cli.js";
export { ConfigError, formatKey, loadConfig, parseConfig } from "./config/load-config.js";
export type { LoadedConfig } from "./config/load-config.js";
export { gatewayConfigSchema } from "./config/config-schema.js";
export type {
  BackendConfig,
  GatewayConfig,
  ListenerConfig,
  ServiceConfig,
} from "./config/config-schema.js";
export { startGateway } from "./gateway.js";
export type { Log, RunningGateway } from "./gateway.js";
export { loadServices } from "./load-services.js";
export type { RoutedService } from "./load-services.js";
export { formatRouteTable, routeRows } from "./route-table.js";
export type { RouteRow } from "./route-table.js";
export { servicesFromDescriptorSet } from "./services/descriptor-set.js";
export type { DescriptorSetSource } from "./services/descriptor-set.js";
export { servicesFromModule } from "./services/generated-module.js";
export type { GatewayService } from "./services/gateway-service.js";
export { runPrimary, workerCount } from "./workers.js";
export type { PrimaryMessageHandler, WorkerMessage } from "./workers.js";
