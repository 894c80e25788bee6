import type { IncomingMessage, ServerResponse } from "node:http";
import type { Channel } from "@grpc/grpc-js";
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import { backendName, readiness } from "../balancer/balancer.js";
import { Code, codeToString } from "../core/rpc-error.js";
import type { Protocol } from "../core/rpc-protocols.js";
import {
  type CallOutcome,
  type GatewayCall,
  type Middleware,
  observer,
  type RouteInfo,
} from "../pipeline/pipeline.js";

/** Options of {@link gatewayMetrics}. */
export interface GatewayMetricsOptions {
  /** The prom-client registry to register in; default: a new one. */
  registry?: Registry;
  /** Add the process collector (`collectDefaultMetrics`) to the registry; default true. */
  collectDefaultMetrics?: boolean;
  /** Buckets of `grpc_gateway_request_duration_seconds`, in seconds. */
  durationBuckets?: readonly number[];
  /** Buckets of the request and response size histograms, in bytes. */
  sizeBuckets?: readonly number[];
  /**
   * Balanced channels (from `createChannel`) whose endpoints, states and
   * circuit breakers are exported, read at each scrape.
   */
  backends?: readonly Channel[];
}

/** The route label of requests no route matched: a fixed value, so cardinality stays bounded. */
export const unmatchedRouteLabel = "(unmatched)";

/** From 0.5 ms to 60 s: a gateway's calls are sub-millisecond in-process and long for streams. */
export const defaultDurationBuckets: readonly number[] = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
];

/** From 64 B to 16 MiB, by 4. */
export const defaultSizeBuckets: readonly number[] = [
  64, 256, 1024, 4096, 16_384, 65_536, 262_144, 1_048_576, 4_194_304, 16_777_216,
];

/** Prometheus metrics of a gateway: a pipeline middleware and the registry it counts in. */
export interface GatewayMetrics {
  readonly registry: Registry;
  /** Counts every call of the mux it is installed on (`mux.use(metrics.middleware)`). */
  readonly middleware: Middleware;
  /** Serves the registry in Prometheus text format, for a route or a server of its own. */
  readonly handler: (req: IncomingMessage, res: ServerResponse) => void;
}

type RouteLabels = "service" | "method" | "route" | "http_method" | "protocol";

/**
 * Creates the gateway's metrics, with the names grpc-gateway cluster guides use:
 *
 * - `grpc_gateway_requests_total{service,method,route,http_method,protocol,http_status,grpc_code}`
 * - `grpc_gateway_request_duration_seconds{service,method,route,http_method,protocol}`
 * - `grpc_gateway_request_size_bytes`, `grpc_gateway_response_size_bytes` (same labels)
 * - `grpc_gateway_in_flight_requests`, `grpc_gateway_active_streams{service,method,transport}`
 * - `grpc_gateway_stream_messages_total{service,method,transport,direction}`
 * - per backend: `grpc_gateway_backend_endpoints{backend,state}`,
 *   `grpc_gateway_backend_endpoint_up{backend,endpoint}`,
 *   `grpc_gateway_backend_ready{backend}` and
 *   `grpc_gateway_backend_endpoint_ejected{backend,endpoint}` (the per-endpoint circuit breaker).
 *
 * `route` is the path template, never the raw path; requests no route
 * matched count under {@link unmatchedRouteLabel}.
 */
export function gatewayMetrics(options: GatewayMetricsOptions = {}): GatewayMetrics {
  const registry = options.registry ?? new Registry();
  if (options.collectDefaultMetrics !== false) collectDefaultMetrics({ register: registry });
  const routeLabels: RouteLabels[] = ["service", "method", "route", "http_method", "protocol"];
  const requests = new Counter({
    name: "grpc_gateway_requests_total",
    help: "HTTP requests served by the gateway, by route and outcome.",
    labelNames: [...routeLabels, "http_status", "grpc_code"],
    registers: [registry],
  });
  const routeHistogram = (name: string, help: string, buckets: readonly number[]) =>
    new Histogram({
      name,
      help,
      labelNames: routeLabels,
      buckets: [...buckets],
      registers: [registry],
    });
  const sizeBuckets = options.sizeBuckets ?? defaultSizeBuckets;
  const duration = routeHistogram(
    "grpc_gateway_request_duration_seconds",
    "Time from a request's arrival to the end of its response (streams: their whole life).",
    options.durationBuckets ?? defaultDurationBuckets,
  );
  const requestSize = routeHistogram(
    "grpc_gateway_request_size_bytes",
    "Request body bytes read (streams: all messages).",
    sizeBuckets,
  );
  const responseSize = routeHistogram(
    "grpc_gateway_response_size_bytes",
    "Response body bytes written (streams: all messages).",
    sizeBuckets,
  );
  const inFlight = new Gauge({
    name: "grpc_gateway_in_flight_requests",
    help: "Requests being served.",
    registers: [registry],
  });
  const activeStreams = new Gauge({
    name: "grpc_gateway_active_streams",
    help: "Open streams, by transport (ndjson, sse, http-body, http-bidi, websocket, rpc-stream).",
    labelNames: ["service", "method", "transport"],
    registers: [registry],
  });
  const streamMessages = new Counter({
    name: "grpc_gateway_stream_messages_total",
    help: "Messages of streaming calls, by direction (received from the client, sent to it).",
    labelNames: ["service", "method", "transport", "direction"],
    registers: [registry],
  });
  if (options.backends !== undefined && options.backends.length > 0) {
    backendMetrics(registry, options.backends);
  }

  /** prom-client hashes label objects on every call: keep one label object per route and protocol. */
  const labelsOf = new WeakMap<RouteInfo, Partial<Record<Protocol, Record<RouteLabels, string>>>>();
  const unmatchedLabels = new Map<string, Record<RouteLabels, string>>();
  const routeLabelsOf = (call: GatewayCall): Record<RouteLabels, string> => {
    const route = call.route;
    if (route === undefined) {
      const key = `${call.protocol} ${call.httpMethod}`;
      let labels = unmatchedLabels.get(key);
      if (labels === undefined) {
        labels = {
          service: "",
          method: "",
          route: unmatchedRouteLabel,
          http_method: boundedMethod(call.httpMethod),
          protocol: call.protocol,
        };
        if (unmatchedLabels.size < 64) unmatchedLabels.set(key, labels);
      }
      return labels;
    }
    let byProtocol = labelsOf.get(route);
    if (byProtocol === undefined) {
      byProtocol = {};
      labelsOf.set(route, byProtocol);
    }
    let labels = byProtocol[call.protocol];
    if (labels === undefined) {
      labels = {
        service: route.service,
        method: route.rpc,
        route: route.template,
        http_method: route.httpMethod,
        protocol: call.protocol,
      };
      byProtocol[call.protocol] = labels;
    }
    return labels;
  };

  const middleware: Middleware = observer(async (call, next) => {
    const labels = routeLabelsOf(call);
    const streaming = call.route !== undefined && call.route.methodKind !== "unary";
    const streamLabels = streaming
      ? { service: labels.service, method: labels.method, transport: call.transport }
      : undefined;
    inFlight.inc();
    if (streamLabels !== undefined) activeStreams.inc(streamLabels);
    let outcome: CallOutcome;
    try {
      outcome = await next();
    } finally {
      inFlight.dec();
      if (streamLabels !== undefined) activeStreams.dec(streamLabels);
    }
    requests.inc({
      ...labels,
      http_status: String(outcome.httpStatus),
      grpc_code: codeName(outcome.code),
    });
    duration.observe(labels, outcome.durationMs / 1000);
    requestSize.observe(labels, outcome.bytesIn);
    responseSize.observe(labels, outcome.bytesOut);
    if (streamLabels !== undefined) {
      if (outcome.messagesIn > 0) {
        streamMessages.inc({ ...streamLabels, direction: "received" }, outcome.messagesIn);
      }
      if (outcome.messagesOut > 0) {
        streamMessages.inc({ ...streamLabels, direction: "sent" }, outcome.messagesOut);
      }
    }
  });

  const handler = (_req: IncomingMessage, res: ServerResponse): void => {
    registry.metrics().then(
      (text) => {
        res.statusCode = 200;
        res.setHeader("Content-Type", registry.contentType);
        res.setHeader("Cache-Control", "no-store");
        res.end(text);
      },
      (err: unknown) => {
        res.statusCode = 500;
        res.setHeader("Content-Type", "text/plain; charset=utf-8");
        res.end(`metrics collection failed: ${err instanceof Error ? err.message : String(err)}\n`);
      },
    );
  };

  return { registry, middleware, handler };
}

/** gRPC code names as grpc-gateway labels them (`OK`, `NOT_FOUND`, …). */
function codeName(code: Code): string {
  return code === Code.Ok ? "OK" : codeToString(code).toUpperCase();
}

const knownMethods = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);

/** A client chooses the method of an unmatched request: keep the label bounded. */
function boundedMethod(method: string): string {
  return knownMethods.has(method) ? method : "OTHER";
}

const endpointStates = ["IDLE", "CONNECTING", "READY", "TRANSIENT_FAILURE", "SHUTDOWN"] as const;

/** Backend gauges read from the balancers at each scrape, and breaker transitions as they happen. */
function backendMetrics(registry: Registry, channels: readonly Channel[]): void {
  new Gauge({
    name: "grpc_gateway_backend_ready",
    help: "1 while the backend has a connected, healthy endpoint.",
    labelNames: ["backend"],
    registers: [registry],
    collect() {
      this.reset();
      for (const channel of channels) {
        this.set({ backend: backendName(channel) }, readiness(channel).ready ? 1 : 0);
      }
    },
  });
  new Gauge({
    name: "grpc_gateway_backend_endpoints",
    help: "Endpoints of a backend by connection state.",
    labelNames: ["backend", "state"],
    registers: [registry],
    collect() {
      this.reset();
      for (const channel of channels) {
        const backend = backendName(channel);
        const counts = new Map<string, number>(endpointStates.map((s) => [s, 0]));
        for (const endpoint of readiness(channel).endpoints) {
          counts.set(endpoint.state, (counts.get(endpoint.state) ?? 0) + 1);
        }
        for (const [state, n] of counts) this.set({ backend, state }, n);
      }
    },
  });
  new Gauge({
    name: "grpc_gateway_backend_endpoint_up",
    help: "1 for an endpoint that is connected and passes health checks.",
    labelNames: ["backend", "endpoint"],
    registers: [registry],
    collect() {
      this.reset();
      for (const channel of channels) {
        const backend = backendName(channel);
        for (const endpoint of readiness(channel).endpoints) {
          const up = endpoint.state === "READY" && endpoint.healthy;
          this.set({ backend, endpoint: endpoint.address }, up ? 1 : 0);
        }
      }
    },
  });
  new Gauge({
    name: "grpc_gateway_backend_endpoint_ejected",
    help: "1 for an endpoint the circuit breaker took out of rotation (backend failures only).",
    labelNames: ["backend", "endpoint"],
    registers: [registry],
    collect() {
      this.reset();
      for (const channel of channels) {
        const backend = backendName(channel);
        for (const endpoint of readiness(channel).endpoints) {
          this.set({ backend, endpoint: endpoint.address }, endpoint.ejected ? 1 : 0);
        }
      }
    },
  });
}
