// @ts-gateway/runtime/policy: edge policies on the request pipeline that need
// no optional peer: the generic authentication hook, CORS, compression,
// deprecation headers, and the route selectors they are configured with.
export { authenticate, permissionDenied, unauthenticated } from "./policy/authenticate.js";
export type {
  Authenticator,
  AuthenticateOptions,
  AuthRouteOptions,
  Identity,
} from "./policy/authenticate.js";
export { selects } from "./policy/route-policy.js";
export type { RouteRule, RouteSelector } from "./policy/route-policy.js";
export { cors } from "./policy/cors.js";
export type { CorsOptions, CorsOrigins, CorsPolicy } from "./policy/cors.js";
export { compression, negotiate, zstdAvailable } from "./policy/compression.js";
export type { CompressionOptions, CompressionPolicy, Encoding } from "./policy/compression.js";
export { deprecation } from "./policy/deprecation.js";
export type { DeprecationOptions, DeprecationPolicy } from "./policy/deprecation.js";
