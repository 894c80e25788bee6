// @ts-gateway/runtime/auth: JWT bearer authentication with jose (an optional
// peer, loaded only here). The generic `authenticate` hook is in /policy.

export type { ClaimMapper, JwtAuthOptions } from "./jwt-auth.js";
export { bearerToken, defaultClaimsMetadata, jwtAuth } from "./jwt-auth.js";
export type { TokenCacheOptions } from "./verified-token-cache.js";
