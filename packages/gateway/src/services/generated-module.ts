import { pathToFileURL } from "node:url";
import type { Channel } from "@grpc/grpc-js";
import type { Mux, RegisterOptions, ServiceRoutes } from "@ts-gateway/runtime";
import { withDeadlines } from "./call-deadlines.js";
import type { GatewayService } from "./gateway-service.js";

type RegisterFn = (mux: Mux, backend: object, options?: RegisterOptions) => void;
interface ClientClass {
  fromChannel(channel: Channel): object;
}

/**
 * Services from a module protoc-gen-ts-gateway generated (`*_gateway.js`, from
 * `target=js`): for each service its `<service>Routes`, and at registration
 * its own `register<Service>(mux, <Service>Client.fromChannel(channel))`, the
 * typed path a hand-written gateway takes.
 */
export async function servicesFromModule(
  file: string,
  include?: readonly string[],
): Promise<GatewayService[]> {
  const exports = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  const services: GatewayService[] = [];
  for (const value of Object.values(exports)) {
    if (!isServiceRoutes(value)) continue;
    const name = value.service.name;
    if (include !== undefined && !include.includes(value.service.typeName)) continue;
    const register = exports[`register${name}`];
    const client = exports[`${name}Client`] as ClientClass | undefined;
    if (typeof register !== "function" || typeof client?.fromChannel !== "function") {
      throw new Error(
        `${file}: ${value.service.typeName} has routes but no register${name} and ${name}Client.fromChannel; is it a protoc-gen-ts-gateway module?`,
      );
    }
    services.push({
      routes: value,
      source: file,
      register(mux, channel, options, deadlines = {}) {
        const backend = withDeadlines(client.fromChannel(channel), value.service, deadlines);
        (register as RegisterFn)(mux, backend, options);
      },
    });
  }
  for (const name of include ?? []) {
    if (!services.some((s) => s.routes.service.typeName === name)) {
      throw new Error(`${file} has no service ${name}`);
    }
  }
  if (services.length === 0) {
    throw new Error(`${file} exports no service routes; is it a protoc-gen-ts-gateway module?`);
  }
  return services;
}

function isServiceRoutes(value: unknown): value is ServiceRoutes {
  if (typeof value !== "object" || value === null) return false;
  const v = value as { service?: { kind?: unknown }; routes?: unknown };
  return v.service?.kind === "service" && Array.isArray(v.routes);
}
