import { Mux } from "@ts-gateway/runtime";
import { ConfigError, type LoadedConfig } from "../config/load-config.js";
import { servicesFromDescriptorSet } from "./descriptor-set.js";
import type { GatewayService } from "./gateway-service.js";
import { servicesFromModule } from "./generated-module.js";
import { type RouteRow, routeRows } from "./route-rows.js";

/** A service and the name of the configured backend it calls. */
export interface RoutedService {
  readonly service: GatewayService;
  readonly backend: string;
}

/**
 * Loads every configured service (descriptor sets read, modules imported) and
 * checks that their routes fit on one mux together, as `serve` will register
 * them. Problems are {@link ConfigError}s naming the config key that led to them.
 */
export async function loadServices(
  loaded: LoadedConfig,
): Promise<{ services: RoutedService[]; rows: RouteRow[] }> {
  const services: RoutedService[] = [];
  const problems: string[] = [];
  for (const [i, entry] of loaded.config.services.entries()) {
    const key = entry.module === undefined ? "descriptorSet" : "module";
    try {
      const list =
        entry.module === undefined
          ? servicesFromDescriptorSet({
              file: loaded.path(entry.descriptorSet!),
              include: entry.include,
              apiConfiguration:
                entry.apiConfiguration === undefined
                  ? undefined
                  : loaded.path(entry.apiConfiguration),
              generateUnboundMethods: entry.generateUnboundMethods,
            })
          : await servicesFromModule(loaded.path(entry.module), entry.include);
      if (list.length === 0) throw new Error("no service in it has HTTP rules");
      for (const service of list) services.push({ service, backend: entry.backend });
    } catch (err) {
      problems.push(`${loaded.where(["services", i, key])}: ${(err as Error).message}`);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  // Two services binding the same method and template fail here, not at the first request.
  const probe = new Mux();
  for (const { service } of services) {
    try {
      probe.register(service.routes, {});
    } catch (err) {
      problems.push(`${service.source}: ${(err as Error).message}`);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return { services, rows: routeRows(services) };
}
