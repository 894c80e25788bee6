// @ts-gateway/runtime/rate-limit: rate limits with rate-limiter-flexible (an
// optional peer, loaded only here), in memory or shared through Redis.
export { rateLimit } from "./policy/rate-limit.js";
export type {
  RateLimitKey,
  RateLimitOptions,
  RateLimitPolicy,
  RateLimitRedisStore,
  WebSocketMessageLimit,
} from "./policy/rate-limit.js";
export { clientAddress } from "./policy/client-address.js";
