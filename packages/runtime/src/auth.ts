// @ts-gateway/runtime/auth: JWT bearer authentication with jose (an optional
// peer, loaded only here). The generic `authenticate` hook is in /policy.
export { bearerToken, defaultClaimsMetadata, jwtAuth } from "./policy/jwt-auth.js";
export type { ClaimMapper, JwtAuthOptions } from "./policy/jwt-auth.js";
export type { TokenCacheOptions } from "./policy/verified-token-cache.js";
