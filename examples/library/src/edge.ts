// The example's edge policy: CORS and compression always; JWT auth and rate
// limits when the environment asks for them (their libraries, jose and
// rate-limiter-flexible, are optional peers loaded only then):
//   GATEWAY_CORS_ORIGINS=https://app.example,https://admin.example  (default *)
//   GATEWAY_AUTH_JWKS_URL=https://issuer/.well-known/jwks.json
//     GATEWAY_AUTH_ISSUER, GATEWAY_AUTH_AUDIENCE, GATEWAY_AUTH_ALGORITHMS (default RS256,ES256)
//   GATEWAY_RATE_LIMIT=100/60        (100 calls per 60 s per client address)
//     GATEWAY_REDIS_URL=redis://127.0.0.1:6379  (share the limit between gateway nodes)
// Auth and rate limits leave the gateway's operational routes (/healthz,
// /readyz, /livez, /metrics, /docs, /openapi.json) alone by default, so
// probes, scrapes and browsers need no token and spend no budget.
import type { Middleware } from "@ts-gateway/runtime";
import { compression, cors, deprecation } from "@ts-gateway/runtime/policy";

export async function edgePolicies(env: NodeJS.ProcessEnv): Promise<Middleware[]> {
  const origins = env.GATEWAY_CORS_ORIGINS;
  const middlewares: Middleware[] = [
    cors({ origins: origins === undefined ? "*" : origins.split(",") }),
    compression(),
    deprecation(),
  ];
  if (env.GATEWAY_AUTH_JWKS_URL !== undefined) {
    const { jwtAuth } = await import("@ts-gateway/runtime/auth");
    middlewares.push(
      jwtAuth({
        jwksUrl: env.GATEWAY_AUTH_JWKS_URL,
        algorithms: (env.GATEWAY_AUTH_ALGORITHMS ?? "RS256,ES256").split(","),
        ...(env.GATEWAY_AUTH_ISSUER === undefined ? {} : { issuer: env.GATEWAY_AUTH_ISSUER }),
        ...(env.GATEWAY_AUTH_AUDIENCE === undefined ? {} : { audience: env.GATEWAY_AUTH_AUDIENCE }),
      }),
    );
  }
  if (env.GATEWAY_RATE_LIMIT !== undefined) {
    const [points, seconds] = env.GATEWAY_RATE_LIMIT.split("/").map(Number);
    const { rateLimit } = await import("@ts-gateway/runtime/rate-limit");
    let store: { redis: object } | undefined;
    if (env.GATEWAY_REDIS_URL !== undefined) {
      const { Redis } = await import("ioredis");
      const redis = new Redis(env.GATEWAY_REDIS_URL, {
        enableOfflineQueue: false,
        commandTimeout: 500,
        maxRetriesPerRequest: 1,
      });
      redis.on("error", () => {}); // the rate limiter logs when Redis is missing
      store = { redis };
    }
    middlewares.push(
      rateLimit({
        points: points ?? 100,
        durationSec: seconds ?? 60,
        key: env.GATEWAY_AUTH_JWKS_URL === undefined ? "ip" : "subject",
        ...(store === undefined ? {} : { store }),
      }),
    );
  }
  return middlewares;
}
