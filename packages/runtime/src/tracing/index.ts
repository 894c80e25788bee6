// @ts-gateway/runtime/tracing: OpenTelemetry server spans of the gateway
// (@opentelemetry/api, an optional peer), started by a pipeline middleware.

export { tracerName, tracing } from "./tracing.js";
export type { TracingOptions } from "./tracing.js";
