// @ts-gateway/runtime/health: the grpc.health.v1 service for backends, and the
// gateway's /healthz, /livez and /readyz endpoints (readiness from balanced
// channels).

export { HealthCheckResponse_ServingStatus } from "../proto/grpc/health/v1/health_pb.js";
export type {
  HealthErrorWriter,
  HealthzOptions,
  NodeHandler,
  ReadyzOptions,
} from "./health-endpoints.js";
export { healthzHandler, livezHandler, readyzHandler } from "./health-endpoints.js";
export type {
  HealthService,
  HealthServiceOptions,
  ServingStatus,
} from "./health-service.js";
export { addHealthService, createHealthService } from "./health-service.js";
export type { HealthPaths, MountHealthOptions } from "./mount-health.js";
export { mountHealth } from "./mount-health.js";
