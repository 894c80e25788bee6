import { z } from "zod";
import {
  accessLogSection,
  authSection,
  compressionSection,
  corsSection,
  deprecationSection,
  docsSection,
  metricsSection,
  rateLimitSection,
  routeRules,
  tracingSection,
} from "./policy-schema.js";

// The gateway's configuration file, as a schema: one section per concern, each
// strict (an unknown key is an error naming it); the observability and edge
// policy sections are in policy-schema.ts. Durations are milliseconds, sizes
// bytes; file paths are relative to the config file.

const port = z.number().int().min(0).max(65535);
const ms = z.number().int().min(0);
const positiveMs = z.number().int().min(1);

/** A file path, or PEM text inline (starts with `-----BEGIN`). */
const pemSource = z.string().min(1);

/** Server-side TLS of a listener; certificate files are re-read when they change. */
const listenerTls = z.strictObject({
  cert: pemSource,
  key: pemSource,
  /** Client CA bundle: with it, client certificates are requested. */
  ca: pemSource.exactOptional(),
  /** Refuse clients without a certificate signed by `ca`. Default false. */
  requireClientCert: z.boolean().exactOptional(),
  /** How often certificate files are checked for changes; default 5000, 0 = only on SIGHUP. */
  reloadIntervalMs: ms.exactOptional(),
});

const listener = z.strictObject({
  host: z.string().min(1).exactOptional(),
  port,
  /**
   * `http1` (HTTP/1.1), `h2c` (HTTP/1.1 and cleartext HTTP/2 on one port), or
   * with `tls` `h2` (HTTP/2 and HTTP/1.1 by ALPN). Default: `h2` with TLS, else `http1`.
   */
  protocol: z.enum(["http1", "h2c", "h2"]).exactOptional(),
  tls: listenerTls.exactOptional(),
});

/** A minimum data rate (Kestrel's `MinDataRate`); `bytesPerSecond: 0` turns it off. */
const minDataRate = z.strictObject({
  bytesPerSecond: z.number().int().min(0),
  /** Time before the rate is enforced; the average counts from the start. */
  gracePeriodMs: ms,
});

const server = z.strictObject({
  listeners: z.array(listener).min(1),
  /** Serve streaming methods over WebSocket too (HTTP/1.1 upgrade). Default false. */
  webSocket: z.boolean().exactOptional(),
  /**
   * Idle keep-alive connections are closed after this long; default 65000,
   * above the idle timeouts of nginx (60 s upstream) and most cloud balancers,
   * so the proxy, never the gateway, closes an idle connection.
   */
  keepAliveTimeoutMs: positiveMs.exactOptional(),
  /** Add `X-Gateway-Worker: <worker id>` to every response (which process answered). Default false. */
  workerHeader: z.boolean().exactOptional(),
  /** Longest time to receive a request's headers (then 408). Default min(60000, keepAliveTimeoutMs + 1000). */
  headersTimeoutMs: positiveMs.exactOptional(),
  /** Longest time to receive a whole request, headers and body. Default 300000 (Node's). */
  requestTimeoutMs: positiveMs.exactOptional(),
  /** Longest pause between two reads of a request body (then 408 and the connection closed). Default 60000 (nginx's `client_body_timeout`). */
  bodyIdleTimeoutMs: positiveMs.exactOptional(),
  /** Open connections per listener and process at most (WebSockets included); more are refused. Default: no cap. */
  maxConnections: z.number().int().min(1).exactOptional(),
  /** Slowest request body (then 408 and the connection closed). Default 240 bytes/s after 5000 ms (Kestrel's `MinRequestBodyDataRate`). */
  minRequestBodyDataRate: minDataRate.exactOptional(),
  /** Slowest reading of a complete response (then the connection is closed; streams have `limits.streamIdleTimeoutMs`). Default 240 bytes/s after 5000 ms (Kestrel's `MinResponseDataRate`). */
  minResponseDataRate: minDataRate.exactOptional(),
});

const admin = z.strictObject({
  /** Serve the health endpoints (and /metrics, the docs page) on their own port instead of the API listeners. */
  listener: listener.exactOptional(),
  paths: z
    .strictObject({
      healthz: z.union([z.string(), z.literal(false)]).exactOptional(),
      readyz: z.union([z.string(), z.literal(false)]).exactOptional(),
      livez: z.union([z.string(), z.literal(false)]).exactOptional(),
    })
    .exactOptional(),
});

/** What is validated on a route (`ValidationRouteOptions`). */
const validationRoute = z.strictObject({
  /** Request messages, every message of a stream included. Default true. */
  requests: z.boolean().exactOptional(),
  /** Unary responses (500 on a violation, for development). Default false. */
  responses: z.boolean().exactOptional(),
});

/** protovalidate rules enforced at the gateway (`ValidationOptions`); see docs/validation.md. */
const validation = validationRoute.extend({
  /** Report only the first violation of a message. Default false. */
  failFast: z.boolean().exactOptional(),
  routes: routeRules(validationRoute),
});

/**
 * The mux options a service entry can override for its routes
 * (`RegisterOptions`): JSON writing and reading, query parameters, framing.
 */
const routeMux = z.strictObject({
  emitDefaultValues: z.boolean().exactOptional(),
  useProtoFieldName: z.boolean().exactOptional(),
  enumAsInteger: z.boolean().exactOptional(),
  rejectUnknownFields: z.boolean().exactOptional(),
  rejectUnknownQueryParameters: z.boolean().exactOptional(),
  /** Pretty-print response JSON with this many spaces (Envoy's `add_whitespace`), 0 to 10. Default 0. */
  indent: z.number().int().min(0).max(10).exactOptional(),
  /** Write 64-bit integers as JSON numbers, not strings. Default false. */
  int64AsNumber: z.boolean().exactOptional(),
  /** Answer 400 for a body field a path variable binds. Default false: the path wins. */
  rejectBindingBodyFieldCollisions: z.boolean().exactOptional(),
  /** Match request enum names case-insensitively (Envoy's `case_insensitive_enum_parsing`). Default false. */
  caseInsensitiveEnumParsing: z.boolean().exactOptional(),
  /** Write enum names without their enum's prefix, read both (ASP.NET's `RemoveEnumPrefix`). Default false. */
  removeEnumPrefix: z.boolean().exactOptional(),
  /** A top-level map<string, string> request field (by name) that takes unknown query parameters. */
  captureUnknownQueryParameters: z.string().min(1).exactOptional(),
  /** Query parameter names skipped whatever they name (e.g. `api_key`). */
  ignoredQueryParameters: z.array(z.string().min(1)).exactOptional(),
  /** Server streams without `Accept: text/event-stream`: `ndjson` (default) or one `json-array`. */
  streamFraming: z.enum(["ndjson", "json-array"]).exactOptional(),
  /** Largest response message in bytes; larger answers 502 RESOURCE_EXHAUSTED. Default 0: no cap. */
  maxResponseBytes: z.number().int().min(0).exactOptional(),
});

/** The mux's JSON options and bounds (`MuxOptions`). */
const mux = routeMux.extend({
  /** Enforce the messages' buf.validate rules before the backend: true, or options with per-route rules. Default false. */
  validate: z.union([z.boolean(), validation]).exactOptional(),
  unescape: z.enum(["spec", "all-except-slash", "all"]).exactOptional(),
  wwwAuthenticate: z.union([z.string(), z.literal(false)]).exactOptional(),
  /** Replace the message and details of INTERNAL and UNKNOWN errors with `internal error`. Default false. */
  redactInternalErrors: z.boolean().exactOptional(),
  /** Request `Content-Type`s a JSON body may have (others: 415). Default JSON, `+json` and none. */
  acceptedContentTypes: z.array(z.string().min(1)).min(1).exactOptional(),
  /** Browser origins allowed to open a WebSocket. Default: only the request's own host. */
  allowedOrigins: z.array(z.string().min(1)).exactOptional(),
  /** Protocols served: `rest`, and Connect, gRPC-Web and gRPC at `/<package>.<Service>/<Method>`. Default `[rest]`. */
  protocols: z
    .array(z.enum(["rest", "connect", "grpc-web", "grpc"]))
    .min(1)
    .exactOptional(),
  /** Longest URL of a Connect GET; longer is `resource_exhausted`. Default 8192. */
  maxConnectGetUrlBytes: z.number().int().min(1).exactOptional(),
});

const limits = z.strictObject({
  maxRequestBytes: z.number().int().min(1).exactOptional(),
  defaultTimeoutMs: ms.exactOptional(),
  maxTimeoutMs: ms.exactOptional(),
  heartbeatIntervalMs: ms.exactOptional(),
  /** A stream whose client takes no bytes this long is closed. Default 300000; 0 disables. */
  streamIdleTimeoutMs: ms.exactOptional(),
  /** Longest life of a streaming call, then DEADLINE_EXCEEDED. Default 0: none. */
  maxStreamDurationMs: ms.exactOptional(),
  /** Bounds of multipart/form-data bodies and the chunk size of streamed files (`MultipartOptions`). */
  multipart: z
    .strictObject({
      chunkBytes: z.number().int().min(1).exactOptional(),
      maxParts: z.number().int().min(1).exactOptional(),
      maxFields: z.number().int().min(0).exactOptional(),
      maxFieldBytes: z.number().int().min(1).exactOptional(),
      maxFiles: z.number().int().min(0).exactOptional(),
      maxHeaderBytes: z.number().int().min(1).exactOptional(),
      maxFileBytes: z.number().int().min(1).exactOptional(),
      maxUploadBytes: z.number().int().min(1).exactOptional(),
    })
    .exactOptional(),
});

const shutdown = z.strictObject({
  /** After SIGTERM, keep serving with /readyz 503 this long, so load balancers notice. Default 5000. */
  drainDelayMs: ms.exactOptional(),
  /** Then wait at most this long for in-flight requests and streams. Default 20000. */
  gracePeriodMs: ms.exactOptional(),
});

const grpcCode = z.enum([
  "CANCELLED",
  "UNKNOWN",
  "INVALID_ARGUMENT",
  "DEADLINE_EXCEEDED",
  "NOT_FOUND",
  "ALREADY_EXISTS",
  "PERMISSION_DENIED",
  "RESOURCE_EXHAUSTED",
  "FAILED_PRECONDITION",
  "ABORTED",
  "OUT_OF_RANGE",
  "UNIMPLEMENTED",
  "INTERNAL",
  "UNAVAILABLE",
  "DATA_LOSS",
  "UNAUTHENTICATED",
]);

/** One logical backend: the runtime balancer's `createChannel(target, options)`. */
const backend = z.strictObject({
  /** `dns:///host:port`, `etcd:///service`, any grpc-js target, or a list of `host:port`. */
  target: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]),
  policy: z
    .enum(["pick_first", "round_robin", "weighted_round_robin", "least_request"])
    .exactOptional(),
  weights: z.record(z.string(), z.number().positive()).exactOptional(),
  healthCheck: z
    .union([
      z.literal(false),
      z.strictObject({
        serviceName: z.string().exactOptional(),
        intervalMs: positiveMs.exactOptional(),
        timeoutMs: positiveMs.exactOptional(),
      }),
    ])
    .exactOptional(),
  outlierDetection: z.literal(false).exactOptional(),
  /**
   * What `/healthz` checks: `grpc` (default) its `grpc.health.v1.Health/Check`,
   * `connectivity` a connected endpoint (backends without the health service),
   * `none` nothing.
   */
  health: z.enum(["grpc", "connectivity", "none"]).exactOptional(),
  /** DNS re-resolution interval; default 30000. */
  reresolveIntervalMs: ms.exactOptional(),
  /** Deadline of every unary (and client-streaming) call to this backend; a shorter client deadline wins. */
  deadlineMs: positiveMs.exactOptional(),
  /**
   * Deadline of every server or bidirectional stream to this backend, as a
   * whole. Default: none (streams end by `limits.streamIdleTimeoutMs` and
   * `limits.maxStreamDurationMs`, or a client's `Grpc-Timeout`).
   */
  streamDeadlineMs: positiveMs.exactOptional(),
  /**
   * Retries on UNAVAILABLE for idempotent methods: those the routes mark so
   * (GET/PUT/DELETE bindings, idempotency_level), or the `methods` listed.
   */
  retry: z
    .union([
      z.literal(false),
      z.strictObject({
        methods: z.array(z.string().min(1)).exactOptional(),
        maxAttempts: z.number().int().min(2).max(5).exactOptional(),
        initialBackoffMs: positiveMs.exactOptional(),
        maxBackoffMs: positiveMs.exactOptional(),
        retryableCodes: z.array(grpcCode).exactOptional(),
      }),
    ])
    .exactOptional(),
  circuitBreaker: z
    .union([
      z.literal(false),
      z.strictObject({
        consecutiveFailures: z.number().int().min(1).exactOptional(),
        halfOpenAfterMs: positiveMs.exactOptional(),
      }),
    ])
    .exactOptional(),
  /** TLS to the backend; with `cert` and `key`, mutual TLS. */
  tls: z
    .strictObject({
      ca: pemSource.exactOptional(),
      cert: pemSource.exactOptional(),
      key: pemSource.exactOptional(),
      serverName: z.string().exactOptional(),
    })
    .exactOptional(),
  keepalive: z
    .strictObject({
      timeMs: positiveMs.exactOptional(),
      timeoutMs: positiveMs.exactOptional(),
      permitWithoutCalls: z.boolean().exactOptional(),
    })
    .exactOptional(),
  /** etcd endpoints for `etcd:///` targets. */
  etcd: z
    .strictObject({ hosts: z.array(z.string().min(1)).min(1), prefix: z.string().exactOptional() })
    .exactOptional(),
});

/**
 * Where a service's routes come from: a descriptor set (`buf build -o
 * api.binpb`, routes from google.api.http) or a generated gateway module
 * (`*_gateway.js`). Exactly one of `descriptorSet` and `module`.
 */
const service = z
  .strictObject({
    descriptorSet: z.string().min(1).exactOptional(),
    module: z.string().min(1).exactOptional(),
    backend: z.string().min(1),
    /** Fully-qualified service names to serve; default every service with routes. */
    include: z.array(z.string().min(1)).exactOptional(),
    /** Descriptor sets: grpc-gateway's `grpc_api_configuration`, a google.api.Service YAML whose http.rules win. */
    apiConfiguration: z.string().min(1).exactOptional(),
    /** Descriptor sets: serve methods without rules at `POST /pkg.Service/Method`. Default false. */
    generateUnboundMethods: z.boolean().exactOptional(),
    /** Serve these routes only for requests to these hosts (`Host`/`:authority`; `name`, `name:port`, `*.name`). Default: any host. */
    hosts: z.array(z.string().min(1)).min(1).exactOptional(),
    /** Mux options for these routes only, over the `mux` section's (JSON, query, stream framing, response cap). */
    mux: routeMux.exactOptional(),
    /** Serve these routes under this prefix (`/aiplatform`), stripped before matching. Default none. */
    pathPrefix: z
      .string()
      .regex(/^(\/[^/?#{}*]+)+$/, "write /name or /name/name (no trailing '/')")
      .exactOptional(),
  })
  .superRefine((s, ctx) => {
    if ((s.descriptorSet === undefined) === (s.module === undefined)) {
      ctx.addIssue({
        code: "custom",
        message: "give exactly one of descriptorSet and module",
        path: s.module === undefined ? [] : ["module"],
      });
    }
    if (s.module !== undefined) {
      for (const key of ["apiConfiguration", "generateUnboundMethods"] as const) {
        if (s[key] !== undefined) {
          ctx.addIssue({
            code: "custom",
            message: `${key} applies to descriptor sets; a generated module has its routes built in`,
            path: [key],
          });
        }
      }
    }
  });

export const gatewayConfigSchema = z.strictObject({
  server: server,
  admin: admin.exactOptional(),
  /** `auto` (one per core), a number, or 1 (default: no cluster, one process). */
  workers: z.union([z.literal("auto"), z.number().int().min(1).max(256)]).exactOptional(),
  mux: mux.exactOptional(),
  limits: limits.exactOptional(),
  shutdown: shutdown.exactOptional(),
  metrics: metricsSection.exactOptional(),
  accessLog: accessLogSection.exactOptional(),
  tracing: tracingSection.exactOptional(),
  auth: authSection.exactOptional(),
  rateLimit: rateLimitSection.exactOptional(),
  cors: corsSection.exactOptional(),
  compression: compressionSection.exactOptional(),
  deprecation: deprecationSection.exactOptional(),
  /** `true`: the docs page of the document generated from the descriptor sets. */
  docs: z.union([z.boolean(), docsSection]).exactOptional(),
  backends: z.record(z.string().regex(/^[A-Za-z0-9_.-]+$/), backend),
  services: z.array(service).min(1),
  /** A google.api.http rule that cannot be served: `error` (default) stops, naming every one; `skip` serves the rest and logs each. */
  onInvalidRule: z.enum(["error", "skip"]).exactOptional(),
});

export type GatewayConfig = z.infer<typeof gatewayConfigSchema>;
export type ListenerConfig = z.infer<typeof listener>;
export type ListenerTlsConfig = z.infer<typeof listenerTls>;
export type BackendConfig = z.infer<typeof backend>;
export type ServiceConfig = z.infer<typeof service>;
