import { create } from "@bufbuild/protobuf";
import * as grpc from "@grpc/grpc-js";
import { type HealthHandlers, healthServiceDefinition } from "../grpc/health-definition.js";
import {
  type HealthCheckResponse,
  HealthCheckResponse_ServingStatus,
  HealthCheckResponseSchema,
  HealthListResponseSchema,
} from "../proto/grpc/health/v1/health_pb.js";

/** Serving status of a service, as in `grpc.health.v1.HealthCheckResponse.ServingStatus`. */
export type ServingStatus = HealthCheckResponse_ServingStatus;

/**
 * A `grpc.health.v1.Health` implementation for Node backends.
 *
 * The empty service name `""` stands for the whole server. Unknown names answer
 * `NOT_FOUND` on Check and `SERVICE_UNKNOWN` on Watch, as the protocol says.
 */
export interface HealthService {
  /** The grpc-js service definition, for `server.addService(definition, implementation)`. */
  readonly definition: typeof healthServiceDefinition;
  /** The handlers, for `server.addService(definition, implementation)`. */
  readonly implementation: HealthHandlers;
  /** Sets the status of one service (`""` for the server) and notifies watchers. */
  setStatus(service: string, status: ServingStatus): void;
  /** Current status of a service, or `undefined` if unknown. */
  getStatus(service: string): ServingStatus | undefined;
  /** Marks every service NOT_SERVING and ignores later `setStatus` calls (server is going away). */
  shutdown(): void;
  /** Undoes {@link HealthService.shutdown}: marks every service SERVING again. */
  resume(): void;
}

/** Options for {@link createHealthService}. */
export interface HealthServiceOptions {
  /** Initial statuses; defaults to `{ "": SERVING }`. */
  initial?: Record<string, ServingStatus>;
}

/** Creates a health service; add it to a server with {@link addHealthService} or `server.addService`. */
export function createHealthService(options: HealthServiceOptions = {}): HealthService {
  const statuses = new Map<string, ServingStatus>(
    Object.entries(options.initial ?? { "": HealthCheckResponse_ServingStatus.SERVING }),
  );
  const watchers = new Map<string, Set<(status: ServingStatus) => void>>();
  let shuttingDown = false;

  const response = (status: ServingStatus): HealthCheckResponse =>
    create(HealthCheckResponseSchema, { status });

  const notify = (service: string, status: ServingStatus): void => {
    for (const watcher of watchers.get(service) ?? []) watcher(status);
  };

  const apply = (service: string, status: ServingStatus): void => {
    if (statuses.get(service) === status) return;
    statuses.set(service, status);
    notify(service, status);
  };

  const implementation: HealthHandlers = {
    check(call, callback) {
      const status = statuses.get(call.request.service);
      if (status === undefined) {
        callback({
          code: grpc.status.NOT_FOUND,
          details: `unknown service ${call.request.service}`,
        });
        return;
      }
      callback(null, response(status));
    },
    watch(call) {
      const service = call.request.service;
      let last: ServingStatus | undefined;
      const send = (status: ServingStatus): void => {
        if (status === last) return;
        last = status;
        call.write(response(status));
      };
      send(statuses.get(service) ?? HealthCheckResponse_ServingStatus.SERVICE_UNKNOWN);
      let set = watchers.get(service);
      if (set === undefined) {
        set = new Set();
        watchers.set(service, set);
      }
      set.add(send);
      const stop = (): void => {
        set.delete(send);
      };
      call.on("cancelled", stop);
      call.on("close", stop);
    },
    list(_call, callback) {
      const list = create(HealthListResponseSchema);
      for (const [service, status] of statuses) list.statuses[service] = response(status);
      callback(null, list);
    },
  };

  return {
    definition: healthServiceDefinition,
    implementation,
    setStatus(service, status) {
      if (shuttingDown) return;
      apply(service, status);
    },
    getStatus(service) {
      return statuses.get(service);
    },
    shutdown() {
      shuttingDown = true;
      for (const service of statuses.keys())
        apply(service, HealthCheckResponse_ServingStatus.NOT_SERVING);
    },
    resume() {
      shuttingDown = false;
      for (const service of statuses.keys())
        apply(service, HealthCheckResponse_ServingStatus.SERVING);
    },
  };
}

/** Creates a health service and registers it on `server`. */
export function addHealthService(
  server: grpc.Server,
  options: HealthServiceOptions = {},
): HealthService {
  const health = createHealthService(options);
  server.addService(health.definition, health.implementation);
  return health;
}
