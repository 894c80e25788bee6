import { type RegisterOptions, type Site, SiteRoutes } from "@ts-gateway/runtime";
import { ConfigError, type LoadedConfig } from "../config/load-config.js";
import { servicesFromDescriptorSet } from "./descriptor-set.js";
import type { GatewayService } from "./gateway-service.js";
import { servicesFromModule } from "./generated-module.js";
import { type RouteRow, routeRows } from "./route-rows.js";

/** A service, the name of the configured backend it calls, and where it is served. */
export interface RoutedService {
  readonly service: GatewayService;
  readonly backend: string;
  readonly site: Site;
  /** The service entry's `mux` overrides. */
  readonly options: RegisterOptions;
}

/**
 * Loads every configured service (descriptor sets read, modules imported) and
 * checks that their routes fit on one mux together, as `serve` will register
 * them (conflicts within each host and path prefix). Problems are
 * {@link ConfigError}s naming the config key that led to them, all at once;
 * with `onInvalidRule: skip` a rule that cannot be served is left out and
 * logged instead.
 */
export async function loadServices(
  loaded: LoadedConfig,
  log: (message: string) => void = (message) => process.stderr.write(`${message}\n`),
): Promise<{ services: RoutedService[]; rows: RouteRow[] }> {
  const services: RoutedService[] = [];
  const problems: string[] = [];
  const skipped: string[] = [];
  const skip = loaded.config.onInvalidRule === "skip";
  for (const [i, entry] of loaded.config.services.entries()) {
    const key = entry.module === undefined ? "descriptorSet" : "module";
    const where = loaded.where(["services", i, key]);
    const report = (error: Error): void => {
      (skip ? skipped : problems).push(`${where}: ${error.message}`);
    };
    try {
      const list =
        entry.module === undefined
          ? servicesFromDescriptorSet(
              {
                file: loaded.path(entry.descriptorSet!),
                include: entry.include,
                apiConfiguration:
                  entry.apiConfiguration === undefined
                    ? undefined
                    : loaded.path(entry.apiConfiguration),
                generateUnboundMethods: entry.generateUnboundMethods,
              },
              report,
            )
          : await servicesFromModule(loaded.path(entry.module), entry.include);
      if (list.length === 0) throw new Error("no service in it has HTTP rules");
      const site: Site = { hosts: entry.hosts, pathPrefix: entry.pathPrefix };
      const options: RegisterOptions = { ...site, ...entry.mux };
      for (const service of list) {
        services.push({ service, backend: entry.backend, site, options });
      }
    } catch (err) {
      problems.push(`${where}: ${(err as Error).message}`);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  // Two services binding the same method and template on one host and prefix
  // fail here, not at the first request; every such pair is named.
  const probe = new SiteRoutes<true>();
  for (const { service, site } of services) {
    const desc = service.routes.service;
    for (const route of service.routes.routes) {
      const name = `${desc.name}.${desc.method[route.rpc]?.name ?? route.rpc} (${route.method} ${route.path})`;
      try {
        probe.add(site, route.method, route.pattern, true, name);
      } catch (err) {
        problems.push(`${service.source}: ${(err as Error).message}`);
      }
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  for (const line of skipped) log(`warning: skipped ${line}`);
  const rpcProtocols = (loaded.config.mux?.protocols ?? []).filter((p) => p !== "rest");
  return { services, rows: routeRows(services, rpcProtocols) };
}
