// @ts-gateway/runtime/tracing: OpenTelemetry server spans of the gateway
// (@opentelemetry/api, an optional peer), started by a pipeline middleware.

export type { TracingOptions } from "./tracing.js";
export { tracerName, tracing } from "./tracing.js";
