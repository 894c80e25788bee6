import { readFileSync } from "node:fs";
import type { Middleware } from "@ts-gateway/runtime";
import type { RouteRule, RouteSelector } from "@ts-gateway/runtime/policy";
import type { GatewayConfig } from "../config/config-schema.js";
import type { Log } from "../shared/defaults.js";

/** The middlewares of the config's edge policy sections, and what they hold open. */
export interface EdgePolicies {
  /** In mounting order: CORS, compression, auth, rate limit, deprecation. */
  readonly middlewares: readonly Middleware[];
  /** Closes the Redis client of the rate limit, if any. */
  close(): void;
}

/** How long start-up (and a reload) waits for the rate limit's Redis connection. */
const redisStartMs = 3000;

/** A section is on when present, unless it says `enabled: false`. */
const on = (section: { enabled?: boolean } | undefined): boolean =>
  section !== undefined && section.enabled !== false;

/**
 * Builds the edge policies a config asks for, in the order the README gives
 * (CORS first so refusals carry its headers, then compression, auth, rate
 * limits keyed by the subject auth sets, deprecation headers). The libraries
 * of auth (jose) and rate limits (rate-limiter-flexible, ioredis) are loaded
 * only when their section is on.
 */
export async function edgePolicies(
  config: GatewayConfig,
  path: (p: string) => string,
  log: Log,
): Promise<EdgePolicies> {
  const middlewares: Middleware[] = [];
  const closers: (() => void)[] = [];
  const policy = await import("@ts-gateway/runtime/policy");

  const cors = config.cors;
  if (on(cors) && cors !== undefined) {
    middlewares.push(
      policy.cors({
        origins: cors.origins,
        ...pick(cors, ["credentials", "exposedHeaders", "allowedHeaders", "maxAgeSec"]),
        ...(cors.routes === undefined ? {} : { routes: cors.routes.map(rule) }),
      }),
    );
  }
  const compression = config.compression;
  if (on(compression) && compression !== undefined) {
    const encodings = compression.encodings?.filter((e) => e !== "zstd" || policy.zstdAvailable);
    middlewares.push(
      policy.compression({
        ...pick(compression, ["thresholdBytes"]),
        ...(encodings === undefined ? {} : { encodings }),
        ...(compression.routes === undefined
          ? {}
          : {
              routes: compression.routes.map((r) =>
                rule({
                  match: r.match,
                  options:
                    r.options === false
                      ? false
                      : {
                          ...pick(r.options, ["thresholdBytes"]),
                          ...(r.options.encodings === undefined
                            ? {}
                            : {
                                encodings: r.options.encodings.filter(
                                  (e) => e !== "zstd" || policy.zstdAvailable,
                                ),
                              }),
                        },
                }),
              ),
            }),
      }),
    );
  }
  const auth = config.auth;
  if (on(auth) && auth !== undefined) {
    const { jwtAuth } = await import("@ts-gateway/runtime/auth");
    middlewares.push(
      jwtAuth({
        algorithms: auth.algorithms,
        ...(auth.jwksUrl === undefined ? {} : { jwksUrl: auth.jwksUrl }),
        ...(auth.jwksFile === undefined
          ? {}
          : { jwks: JSON.parse(readFileSync(path(auth.jwksFile), "utf8")) }),
        ...pick(auth, [
          "issuer",
          "audience",
          "clockToleranceSec",
          "maxTokenLength",
          "jwksFetch",
          "cache",
          "claims",
          "realm",
          "optional",
          "scopes",
        ]),
        ...(auth.routes === undefined ? {} : { routes: auth.routes.map(rule) }),
      }),
    );
  }
  const limit = config.rateLimit;
  if (on(limit) && limit !== undefined) {
    const { rateLimit } = await import("@ts-gateway/runtime/rate-limit");
    let store: { redis: object; failure?: "open" | "closed" } | undefined;
    if (limit.redis !== undefined) {
      const { Redis } = await import("ioredis");
      const redis = new Redis(limit.redis.url, {
        // Commands fail at once while Redis is away: the limiter's failure mode decides.
        enableOfflineQueue: false,
        commandTimeout: limit.redis.commandTimeoutMs ?? 500,
        maxRetriesPerRequest: 1,
      });
      redis.on("error", () => {}); // the rate limiter logs Redis going and coming back
      closers.push(() => redis.disconnect());
      // Give the connection a moment before the first call (a bounded wait: a
      // Redis that is down at start-up is the failure mode's business).
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          log(`rate limit: redis not connected after ${redisStartMs} ms; failure mode applies`);
          done();
        }, redisStartMs);
        const done = (): void => {
          clearTimeout(timer);
          redis.off("ready", done);
          resolve();
        };
        redis.once("ready", done);
      });
      store = { redis, ...pick(limit.redis, ["failure"]) };
    }
    middlewares.push(
      rateLimit({
        points: limit.points,
        durationSec: limit.durationSec,
        ...pick(limit, ["name", "burst", "key", "trustedProxies", "webSocketMessages"]),
        ...(store === undefined ? {} : { store }),
        ...(limit.routes === undefined ? {} : { routes: limit.routes.map(rule) }),
        log: (message) => log(`rate limit: ${message}`),
      }),
    );
  }
  const deprecation = config.deprecation;
  if (on(deprecation) && deprecation !== undefined) {
    const { routes, ...base } = deprecation;
    middlewares.push(
      policy.deprecation({
        ...deprecationPolicy(base),
        ...(routes === undefined
          ? {}
          : {
              routes: routes.map((r) => ({
                match: r.match,
                options: r.options === false ? false : deprecationPolicy(r.options),
              })),
            }),
      }),
    );
  }
  return {
    middlewares,
    close: () => {
      for (const close of closers) close();
    },
  };
}

type DeprecationSection = NonNullable<GatewayConfig["deprecation"]>;

function deprecationPolicy(
  c: Pick<DeprecationSection, "deprecated" | "since" | "sunset" | "link">,
): { deprecated?: boolean; since?: Date; sunset?: Date; link?: string } {
  return {
    ...pick(c, ["deprecated", "link"]),
    ...(c.since === undefined ? {} : { since: new Date(c.since) }),
    ...(c.sunset === undefined ? {} : { sunset: new Date(c.sunset) }),
  };
}

/** A config rule as the runtime's `RouteRule` (the shapes agree; this drops the readonly-ness zod lacks). */
function rule<T>(r: { match: RouteSelector | RouteSelector[]; options: T | false }): RouteRule<T> {
  return { match: r.match, options: r.options };
}

/** The keys of `from` that are set (with `exactOptionalPropertyTypes`, absent stays absent). */
function pick<T extends object, K extends keyof T>(
  from: T,
  keys: readonly K[],
): Partial<Pick<T, K>> {
  const out: Partial<Pick<T, K>> = {};
  for (const key of keys) if (from[key] !== undefined) out[key] = from[key];
  return out;
}
