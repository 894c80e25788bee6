// @ts-gateway/runtime/health: the grpc.health.v1 service for backends, and the
// gateway's /healthz, /livez and /readyz endpoints (readiness from balanced
// channels).

export { addHealthService, createHealthService } from "./health-service.js";
export type {
  HealthService,
  HealthServiceOptions,
  ServingStatus,
} from "./health-service.js";
export { HealthCheckResponse_ServingStatus } from "../proto/grpc/health/v1/health_pb.js";
export { healthzHandler, livezHandler, readyzHandler } from "./health-endpoints.js";
export type {
  HealthErrorWriter,
  HealthzOptions,
  NodeHandler,
  ReadyzOptions,
} from "./health-endpoints.js";
export { mountHealth } from "./mount-health.js";
export type { HealthPaths, MountHealthOptions } from "./mount-health.js";
