import { z } from "zod";

// The config sections of observability (metrics, access log, traces) and of
// the edge policies (auth, rate limits, CORS, compression, deprecation, docs):
// each maps onto one runtime middleware's options, with the same names where
// the runtime has them. A section present turns its feature on (`enabled:
// false` turns it off again); metrics are on unless turned off.

const positiveInt = z.number().int().min(1);

/** grpc-gateway-style route selectors, as the runtime's `RouteSelector`. */
const selector = z.strictObject({
  /** `pkg.Service.Method`, `pkg.Service.*`, `*`. */
  selector: z.string().min(1).exactOptional(),
  /** The route's path template as written in the proto, e.g. `/v1/{name=shelves/*}`. */
  template: z.string().min(1).exactOptional(),
  httpMethod: z.string().min(1).exactOptional(),
});

/** A per-route rule: the first rule whose `match` selects a route applies there; `options: false` turns the policy off. */
export function routeRules<T extends z.ZodType>(options: T) {
  return z
    .array(
      z.strictObject({
        match: z.union([selector, z.array(selector).min(1)]),
        options: z.union([options, z.literal(false)]),
      }),
    )
    .exactOptional();
}

export const metricsSection = z.strictObject({
  /** Default true. */
  enabled: z.boolean().exactOptional(),
  /** Where Prometheus scrapes; on the admin listener when there is one, else on the API listeners. Default `/metrics`. */
  path: z.string().startsWith("/").exactOptional(),
  /** The process metrics (`collectDefaultMetrics`: CPU, memory, event loop lag). Default true. */
  processMetrics: z.boolean().exactOptional(),
});

export const accessLogSection = z.strictObject({
  enabled: z.boolean().exactOptional(),
  /** pino's level: lines below it are not written (`warn`: only 5xx). Default `info`. */
  level: z.enum(["debug", "info", "warn", "error"]).exactOptional(),
  /** Request headers to log (lower case); `authorization` and cookies are always `[REDACTED]`. */
  headers: z.array(z.string().min(1)).exactOptional(),
  /** More header names never logged. */
  redact: z.array(z.string().min(1)).exactOptional(),
  /** Default `x-request-id`; false: no request ids. */
  requestIdHeader: z.union([z.string().min(1), z.literal(false)]).exactOptional(),
});

export const tracingSection = z.strictObject({
  /**
   * Server spans through `@opentelemetry/api`. They go nowhere until an SDK is
   * registered in the process (see the README: `NODE_OPTIONS=--import …`).
   */
  enabled: z.boolean().exactOptional(),
});

const authRoute = z.strictObject({
  /** Calls without a token pass (with one, it must be valid). */
  optional: z.boolean().exactOptional(),
  /** Scopes the token must carry (`scope` / `scp` claim). */
  scopes: z.array(z.string().min(1)).exactOptional(),
});

export const authSection = z
  .strictObject({
    enabled: z.boolean().exactOptional(),
    /** The issuer's JWK Set URL (cached; refetched for an unknown `kid`). */
    jwksUrl: z.url({ protocol: /^https?$/ }).exactOptional(),
    /** A JWK Set file (JSON), instead of `jwksUrl`; relative to the config file. */
    jwksFile: z.string().min(1).exactOptional(),
    /** Accepted `alg`s, e.g. `[RS256, ES256]`; `none` is always refused. */
    algorithms: z.array(z.string().min(1)).min(1),
    issuer: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).exactOptional(),
    audience: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).exactOptional(),
    clockToleranceSec: z.number().int().min(0).exactOptional(),
    /** Refuse tokens without `exp` (401). Default true. */
    requireExp: z.boolean().exactOptional(),
    maxTokenLength: positiveInt.exactOptional(),
    jwksFetch: z
      .strictObject({
        timeoutMs: positiveInt.exactOptional(),
        cooldownMs: positiveInt.exactOptional(),
        cacheMaxAgeMs: positiveInt.exactOptional(),
      })
      .exactOptional(),
    /** Verified tokens kept by token string (at most `ttlMs`, never past `exp`); `false` verifies every call. Default 1000 tokens, 60000 ms. */
    cache: z
      .union([
        z.strictObject({
          maxTokens: positiveInt.exactOptional(),
          ttlMs: positiveInt.exactOptional(),
        }),
        z.literal(false),
      ])
      .exactOptional(),
    /** Metadata key → claim name sent to the backend; default `x-jwt-sub: sub` and `x-jwt-claims` (all, JSON). */
    claims: z.record(z.string().regex(/^[a-z0-9_.-]+$/), z.string().min(1)).exactOptional(),
    realm: z.string().min(1).exactOptional(),
    ...authRoute.shape,
    routes: routeRules(authRoute),
  })
  .superRefine((s, ctx) => {
    if ((s.jwksUrl === undefined) === (s.jwksFile === undefined)) {
      ctx.addIssue({
        code: "custom",
        message: "give exactly one of jwksUrl and jwksFile",
        path: [],
      });
    }
  });

const rateLimitKey = z
  .union([z.enum(["ip", "subject"]), z.strictObject({ header: z.string().min(1) })])
  .exactOptional();

/** Inbound WebSocket messages: past the limit the socket closes with 4008. */
const webSocketMessages = z
  .strictObject({
    points: positiveInt,
    durationSec: positiveInt,
    burst: z.strictObject({ points: positiveInt, durationSec: positiveInt }).exactOptional(),
    /** `connection` (default): a budget per socket; `key`: one per rate-limit key, in the store. */
    per: z.enum(["connection", "key"]).exactOptional(),
  })
  .exactOptional();

/** A route rule's limit: what it gives replaces the section's. */
const rateLimitRoute = z.strictObject({
  name: z
    .string()
    .regex(/^[A-Za-z0-9_.-]+$/)
    .exactOptional(),
  points: positiveInt.exactOptional(),
  durationSec: positiveInt.exactOptional(),
  burst: z.strictObject({ points: positiveInt, durationSec: positiveInt }).exactOptional(),
  key: rateLimitKey,
  webSocketMessages,
});

const rateLimitPolicy = z.strictObject({
  /** The policy's name, in `RateLimit-Policy` and the store's keys. Default `default`. */
  name: z
    .string()
    .regex(/^[A-Za-z0-9_.-]+$/)
    .exactOptional(),
  points: positiveInt,
  durationSec: positiveInt,
  burst: z.strictObject({ points: positiveInt, durationSec: positiveInt }).exactOptional(),
  /** `ip` (default), `subject` (the JWT `sub`; needs `auth`), or `{ header: name }`. */
  key: rateLimitKey,
  webSocketMessages,
});

export const rateLimitSection = z.strictObject({
  enabled: z.boolean().exactOptional(),
  ...rateLimitPolicy.shape,
  /** Proxies (addresses, CIDR ranges) whose `X-Forwarded-For` is believed for the `ip` key. */
  trustedProxies: z.array(z.string().min(1)).exactOptional(),
  /** Client states kept in this process's memory at most (all limits together). Default 100000. */
  maxKeys: positiveInt.exactOptional(),
  /** Bytes those states take at most (nginx's `limit_req_zone … size`). Default 33554432 (32 MiB). */
  maxBytes: z.number().int().min(65_536).exactOptional(),
  /** Share the budget between gateway nodes through Redis. Default: each process counts alone. */
  redis: z
    .strictObject({
      /** `redis://[:password@]host:port[/db]` (`rediss://` for TLS); use `${REDIS_URL}` for secrets. */
      url: z.string().regex(/^rediss?:\/\//, "a redis:// or rediss:// URL"),
      /** Redis unreachable: `open` counts in memory (default), `closed` answers 503. */
      failure: z.enum(["open", "closed"]).exactOptional(),
      /** Bound of each Redis command. Default 500. */
      commandTimeoutMs: positiveInt.exactOptional(),
    })
    .exactOptional(),
  routes: routeRules(rateLimitRoute),
});

/** A route rule's CORS: what it gives replaces the section's. */
const corsRoute = z.strictObject({
  /** `"*"` or the allowed origins (`https://app.example`). */
  origins: z.union([z.literal("*"), z.array(z.string().min(1)).min(1)]).exactOptional(),
  credentials: z.boolean().exactOptional(),
  exposedHeaders: z.array(z.string().min(1)).exactOptional(),
  allowedHeaders: z.array(z.string().min(1)).exactOptional(),
  maxAgeSec: z.number().int().min(0).exactOptional(),
});

export const corsSection = z
  .strictObject({
    enabled: z.boolean().exactOptional(),
    ...corsRoute.shape,
    origins: z.union([z.literal("*"), z.array(z.string().min(1)).min(1)]),
    /** Per-route CORS (a preflight follows the route its requested method reaches); `options: false` turns it off. */
    routes: routeRules(corsRoute),
  })
  .superRefine((s, ctx) => {
    // Any origin with credentials would let every site act with the user's cookies (ASP.NET refuses it too).
    const refuse = (origins: unknown, credentials: unknown, path: (string | number)[]) => {
      if (origins === "*" && credentials === true) {
        ctx.addIssue({ code: "custom", message: anyOriginWithCredentials, path });
      }
    };
    refuse(s.origins, s.credentials, []);
    s.routes?.forEach((r, i) => {
      if (r.options === false) return;
      refuse(r.options.origins ?? s.origins, r.options.credentials ?? s.credentials, [
        "routes",
        i,
        "options",
      ]);
    });
  });

/** Why `origins: "*"` with `credentials: true` is refused. */
export const anyOriginWithCredentials =
  'origins "*" with credentials: true would let any site call the API with the user\'s credentials; list the origins instead';

const compressionRoute = z.strictObject({
  /** Preference order; default zstd (where Node has it), br, gzip. */
  encodings: z
    .array(z.enum(["zstd", "br", "gzip"]))
    .min(1)
    .exactOptional(),
  /** Unary answers from this size up. Default 1024. */
  thresholdBytes: z.number().int().min(0).exactOptional(),
});

export const compressionSection = z.strictObject({
  enabled: z.boolean().exactOptional(),
  ...compressionRoute.shape,
  /** Per-route compression; `options: false` turns it off. */
  routes: routeRules(compressionRoute),
});

const isoDate = z.iso.date().or(z.iso.datetime());

const deprecationPolicy = z.strictObject({
  deprecated: z.boolean().exactOptional(),
  /** `2026-01-31` or an ISO date-time: `Deprecation: @<seconds>`. */
  since: isoDate.exactOptional(),
  /** `Sunset` header date. */
  sunset: isoDate.exactOptional(),
  /** `Link: <…>; rel="deprecation"`. */
  link: z.url().exactOptional(),
});

export const deprecationSection = z.strictObject({
  enabled: z.boolean().exactOptional(),
  ...deprecationPolicy.shape,
  routes: routeRules(deprecationPolicy),
});

export const docsSection = z.strictObject({
  enabled: z.boolean().exactOptional(),
  /**
   * The OpenAPI document (JSON), e.g. protoc-gen-openapiv2's output; relative to
   * the config file. Default: generated from the descriptor sets by the
   * plugin's generator (what `ts-gateway openapi` prints).
   */
  spec: z.string().min(1).exactOptional(),
  /** Default `/docs`. */
  path: z.string().startsWith("/").exactOptional(),
  /** Default `/openapi.json`. */
  specPath: z.string().startsWith("/").exactOptional(),
  /** The page's title and heading (the document's `info.title`). */
  title: z.string().min(1).exactOptional(),
});

export type MetricsConfig = z.infer<typeof metricsSection>;
export type AccessLogConfig = z.infer<typeof accessLogSection>;
export type AuthConfig = z.infer<typeof authSection>;
export type RateLimitConfig = z.infer<typeof rateLimitSection>;
export type CorsConfig = z.infer<typeof corsSection>;
export type CompressionConfig = z.infer<typeof compressionSection>;
export type DeprecationConfig = z.infer<typeof deprecationSection>;
export type DocsConfig = z.infer<typeof docsSection>;
