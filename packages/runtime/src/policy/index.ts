// @ts-gateway/runtime/policy: edge policies on the request pipeline that need
// no optional peer: the generic authentication hook, CORS, compression,
// deprecation headers, and the route selectors they are configured with.

export type {
  AuthenticateOptions,
  Authenticator,
  AuthRouteOptions,
  Identity,
} from "./authenticate.js";
export { authenticate, permissionDenied, unauthenticated } from "./authenticate.js";
export type { CompressionOptions, CompressionPolicy, Encoding } from "./compression.js";
export { compression, negotiate, zstdAvailable } from "./compression.js";
export type { CorsOptions, CorsOrigins, CorsPolicy } from "./cors.js";
export { cors } from "./cors.js";
export type { DeprecationOptions, DeprecationPolicy } from "./deprecation.js";
export { deprecation } from "./deprecation.js";
export type { RouteRule, RouteSelector } from "./route-policy.js";
export { selects } from "./route-policy.js";
