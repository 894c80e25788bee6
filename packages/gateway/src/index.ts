// ts-gateway: the deployable gateway (`ts-gateway serve config.yaml`), and its
// pieces for programs that embed it.

export { main } from "./cli/cli.js";
export type { PrimaryMessageHandler, WorkerMessage } from "./cluster/workers.js";
export { runPrimary, workerCount } from "./cluster/workers.js";
export type {
  BackendConfig,
  GatewayConfig,
  ListenerConfig,
  ServiceConfig,
} from "./config/config-schema.js";
export { gatewayConfigSchema } from "./config/config-schema.js";
export type { LoadedConfig } from "./config/load-config.js";
export { ConfigError, formatKey, loadConfig, parseConfig } from "./config/load-config.js";
export type { RunningGateway } from "./lifecycle/gateway.js";
export { startGateway } from "./lifecycle/gateway.js";
export type { DescriptorSetSource } from "./services/descriptor-set.js";
export { servicesFromDescriptorSet } from "./services/descriptor-set.js";
export type { GatewayService } from "./services/gateway-service.js";
export { servicesFromModule } from "./services/generated-module.js";
export type { RoutedService } from "./services/load-services.js";
export { loadServices } from "./services/load-services.js";
export type { RouteRow } from "./services/route-rows.js";
export { formatRouteTable, routeRows } from "./services/route-rows.js";
export type { Log } from "./shared/defaults.js";
