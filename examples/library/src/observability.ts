// The example's observability: Prometheus metrics on the gateway's /metrics
// (with the balanced channel's endpoints), one JSON access-log line per call
// through pino's async destination, and OpenTelemetry server spans (a no-op
// until the application registers an SDK: see the README).
import type { Channel } from "@grpc/grpc-js";
import { accessLog, type Mux } from "@ts-gateway/runtime";
import { mountMetrics } from "@ts-gateway/runtime/metrics";
import { tracing } from "@ts-gateway/runtime/tracing";
import pino from "pino";

/** What {@link observe} set up. */
export interface Observability {
  readonly logger: pino.Logger;
  /** Writes the buffered log lines out: call before `process.exit`. */
  flush(): void;
}

/**
 * Installs tracing, metrics and access logs on `mux` (observers: they run
 * before every policy, whatever the order of `use`, and see every call,
 * refused ones and requests Node's parser refuses too) and serves the metrics
 * at `GET /metrics`.
 * Log lines go to `destination` (a file descriptor or path; default stdout),
 * written off the request path by pino's async destination.
 */
export function observe(
  mux: Mux,
  backends: readonly Channel[],
  destination: number | string = 1,
): Observability {
  const stream = pino.destination({ dest: destination, sync: false });
  const logger = pino({}, stream);
  mux.use(tracing({ skip: (call) => call.path === "/metrics" }));
  mountMetrics(mux, { backends });
  // Probes and scrapes (operational routes: /healthz, /readyz, /livez, /metrics, /docs) stay out of the log.
  mux.use(
    accessLog({
      logger,
      level: (outcome, call) =>
        call.route?.operational === true ? false : outcome.httpStatus >= 500 ? "error" : "info",
    }),
  );
  return {
    logger,
    flush() {
      try {
        stream.flushSync();
      } catch {
        // Not open yet (nothing was written): nothing to flush.
      }
    },
  };
}
