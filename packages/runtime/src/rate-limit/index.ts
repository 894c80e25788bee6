// @ts-gateway/runtime/rate-limit: rate limits with rate-limiter-flexible (an
// optional peer, loaded only here), in memory or shared through Redis.

export { clientAddress } from "./client-address.js";
export type {
  RateLimitKey,
  RateLimitOptions,
  RateLimitPolicy,
  RateLimitRedisStore,
  WebSocketMessageLimit,
} from "./rate-limit.js";
export { rateLimit } from "./rate-limit.js";
