import * as grpc from "@grpc/grpc-js";
import { type CircuitBreakerOptions, circuitBreakerConfig } from "./circuit-breaker.js";
import { CIRCUIT_BREAKER_POLICY } from "./circuit-breaker-policy.js";
import { HEALTH_CHECK_POLICY } from "./health-check-policy.js";
import { LEAST_REQUEST_POLICY } from "./least-request.js";
import { WEIGHTED_ROUND_ROBIN_POLICY } from "./weighted-round-robin.js";

/** How calls are spread over a backend's endpoints. */
export type BalancingPolicy =
  | "pick_first"
  | "round_robin"
  | "weighted_round_robin"
  | "least_request";

/** Retries through grpc-js's retry policy (gRFC A6): exponential backoff with full jitter. */
export interface RetryOptions {
  /** Idempotent methods: `"/pkg.Service/Method"`, or `"pkg.Service"` for all its methods. */
  methods: readonly string[];
  /** Attempts including the first, 2–5; default 4. */
  maxAttempts?: number;
  /** Default 50 ms. */
  initialBackoffMs?: number;
  /** Default 1000 ms. */
  maxBackoffMs?: number;
  /** Default 2. */
  backoffMultiplier?: number;
  /** Default `[UNAVAILABLE]`. */
  retryableCodes?: readonly grpc.status[];
}

/**
 * grpc-js outlier detection: ejects endpoints whose calls fail more than their
 * peers'. grpc-js counts every non-OK status (NOT_FOUND too) as a failure, so the
 * default is success-rate ejection, which is relative to the other endpoints and
 * so tolerates application errors spread evenly; failure-percentage ejection
 * (absolute) is opt-in.
 */
export interface OutlierDetectionOptions {
  /** Evaluation interval; default 10 000 ms. */
  intervalMs?: number;
  /** Base ejection time, multiplied by the number of ejections; default 30 000 ms. */
  baseEjectionTimeMs?: number;
  /** Default 50. */
  maxEjectionPercent?: number;
  /**
   * Success-rate ejection: eject below mean − stdevFactor/1000 × stdev; stdevFactor
   * default 1900, minimumHosts default 3, requestVolume (calls per interval) default 20.
   * `false` disables it.
   */
  successRate?: false | { stdevFactor?: number; minimumHosts?: number; requestVolume?: number };
  /** Failure-percentage ejection (off unless given): threshold percent default 85, minimumHosts 3, requestVolume 20. */
  failurePercentage?: { threshold?: number; minimumHosts?: number; requestVolume?: number };
}

/** Health probing of endpoints with grpc.health.v1.Health. */
export interface HealthCheckOptions {
  /** `HealthCheckRequest.service`; default `""` (whole server). */
  serviceName?: string;
  /** Check poll interval / Watch retry delay; default 1000 ms. */
  intervalMs?: number;
  /** Check deadline; default 1000 ms. */
  timeoutMs?: number;
}

/** The service-config part of balancer options. */
export interface ServiceConfigOptions {
  /** Default `round_robin`. */
  policy?: BalancingPolicy;
  /** Static weights per `host:port` for `weighted_round_robin` (others weigh 1). */
  weights?: Readonly<Record<string, number>>;
  /** Random candidates per pick for `least_request`; default 2. */
  leastRequestChoices?: number;
  /** Health probing; `false` disables it. Default on. */
  healthCheck?: false | HealthCheckOptions;
  /** Outlier detection; `false` disables it. Default on with success-rate ejection (never for pick_first). */
  outlierDetection?: false | OutlierDetectionOptions;
  /**
   * Circuit breaker per endpoint: an endpoint failing (UNAVAILABLE) 5 times in a
   * row is ejected for 5 s, at most 50% of the endpoints at once; `false` disables it.
   */
  circuitBreaker?: false | CircuitBreakerOptions;
  /** Ask the resolver to re-resolve this often (DNS); default 30 000 ms, 0 = only on disconnects. */
  reresolveIntervalMs?: number;
  /** Default per-call deadline for every method (callers may set shorter ones). */
  deadlineMs?: number;
  /** Retries for idempotent methods. */
  retry?: RetryOptions;
}

const seconds = (ms: number): string => `${(ms / 1000).toFixed(3)}s`;
const duration = (ms: number): { seconds: number; nanos: number } => ({
  seconds: Math.floor(ms / 1000),
  nanos: Math.round(ms % 1000) * 1_000_000,
});

function policyConfig(options: ServiceConfigOptions): Record<string, object> {
  switch (options.policy ?? "round_robin") {
    case "pick_first":
      return { pick_first: {} };
    case "round_robin":
      return { round_robin: {} };
    case "weighted_round_robin":
      return { [WEIGHTED_ROUND_ROBIN_POLICY]: { weights: options.weights ?? {} } };
    case "least_request":
      return { [LEAST_REQUEST_POLICY]: { choice_count: options.leastRequestChoices ?? 2 } };
  }
}

function methodName(name: string): { service: string; method?: string } {
  const parts = name.split("/").filter((p) => p !== "");
  const [service, method] = parts;
  if (service === undefined || parts.length > 2)
    throw new Error(`bad method name for retries: "${name}"`);
  return method === undefined ? { service } : { service, method };
}

/** Builds the grpc-js service config JSON for a balanced backend. */
export function buildServiceConfig(options: ServiceConfigOptions): {
  loadBalancingConfig: Record<string, object>[];
  methodConfig: object[];
} {
  let lb: Record<string, object> = policyConfig(options);
  const od = options.outlierDetection;
  // grpc-js's outlier_detection refuses a pick_first child.
  if (od !== false && (options.policy ?? "round_robin") !== "pick_first") {
    const sr = od?.successRate;
    const fp = od?.failurePercentage;
    lb = {
      outlier_detection: {
        interval: duration(od?.intervalMs ?? 10_000),
        base_ejection_time: duration(od?.baseEjectionTimeMs ?? 30_000),
        max_ejection_percent: od?.maxEjectionPercent ?? 50,
        ...(sr === false
          ? {}
          : {
              success_rate_ejection: {
                stdev_factor: sr?.stdevFactor ?? 1900,
                enforcement_percentage: 100,
                minimum_hosts: sr?.minimumHosts ?? 3,
                request_volume: sr?.requestVolume ?? 20,
              },
            }),
        ...(fp === undefined
          ? {}
          : {
              failure_percentage_ejection: {
                threshold: fp.threshold ?? 85,
                enforcement_percentage: 100,
                minimum_hosts: fp.minimumHosts ?? 3,
                request_volume: fp.requestVolume ?? 20,
              },
            }),
        child_policy: [lb],
      },
    };
  }
  if (options.circuitBreaker !== false) {
    lb = { [CIRCUIT_BREAKER_POLICY]: circuitBreakerConfig(options.circuitBreaker ?? {}, lb) };
  }
  const hc = options.healthCheck;
  lb = {
    [HEALTH_CHECK_POLICY]: {
      enabled: hc !== false,
      service_name: (hc !== false && hc?.serviceName) || "",
      interval_ms: (hc !== false && hc?.intervalMs) || 1000,
      timeout_ms: (hc !== false && hc?.timeoutMs) || 1000,
      reresolve_interval_ms: options.reresolveIntervalMs ?? 30_000,
      child_policy: [lb],
    },
  };
  const methodConfig: object[] = [];
  const timeout = options.deadlineMs === undefined ? {} : { timeout: seconds(options.deadlineMs) };
  const retry = options.retry;
  if (retry !== undefined && retry.methods.length > 0) {
    methodConfig.push({
      name: retry.methods.map(methodName),
      ...timeout,
      retryPolicy: {
        maxAttempts: retry.maxAttempts ?? 4,
        initialBackoff: seconds(retry.initialBackoffMs ?? 50),
        maxBackoff: seconds(retry.maxBackoffMs ?? 1000),
        backoffMultiplier: retry.backoffMultiplier ?? 2,
        retryableStatusCodes: (retry.retryableCodes ?? [grpc.status.UNAVAILABLE]).map(
          (c) => grpc.status[c],
        ),
      },
    });
  }
  if (options.deadlineMs !== undefined) methodConfig.push({ name: [{}], ...timeout });
  return { loadBalancingConfig: [lb], methodConfig };
}
