import { Metadata } from "@grpc/grpc-js";
import { Code, RpcError } from "../core/rpc-error.js";
import type { GatewayCall, Middleware } from "../pipeline/pipeline.js";
import { ErrorInfoSchema } from "../proto/google/rpc/error_details_pb.js";
import { type RouteRule, routePolicy } from "./route-policy.js";

/** What an authenticator learned about the caller: the metadata the backend receives. */
export interface Identity {
  /** Gateway-set metadata (keys among the authenticator's `metadataKeys`). */
  readonly metadata: Readonly<Record<string, string>>;
}

/**
 * Checks a call's credentials: returns the caller's {@link Identity}, returns
 * undefined when the call carries no credentials of its scheme, or throws an
 * `RpcError` (see {@link unauthenticated}, {@link permissionDenied}) to refuse it.
 * `required` are the scopes, roles or permissions the route asks for.
 */
export type Authenticator = (
  call: GatewayCall,
  required: readonly string[],
) => Identity | undefined | Promise<Identity | undefined>;

/** Per-route options of an authentication middleware. */
export interface AuthRouteOptions {
  /** Let calls without credentials through (unannotated); bad credentials are still refused. */
  optional?: boolean;
  /** What the caller must hold (for JWTs: every scope in the `scope`/`scp` claim). */
  scopes?: readonly string[];
}

/** Options of {@link authenticate}. */
export interface AuthenticateOptions extends AuthRouteOptions {
  /** The check. */
  authenticator: Authenticator;
  /**
   * The metadata keys this scheme owns: stripped from every request (a client
   * cannot send them, even as `Grpc-Metadata-*`), then set from the identity.
   */
  metadataKeys: readonly string[];
  /** `WWW-Authenticate` of a 401 for a call without credentials. Default `Bearer`. */
  challenge?: string;
  /** Per-route options, by selector; `options: false` turns authentication off there. */
  routes?: readonly RouteRule<AuthRouteOptions>[];
}

/**
 * The authentication middleware for any scheme (API keys, mTLS identity from
 * `call.peer.tls`, a call to an auth service): strips the gateway-owned
 * metadata keys, runs the authenticator, and annotates the call with the
 * identity or refuses it (401 UNAUTHENTICATED with `WWW-Authenticate`, 403
 * PERMISSION_DENIED), over HTTP and WebSocket upgrades alike. Unmatched
 * requests (404, 405) pass unchecked.
 */
export function authenticate(options: AuthenticateOptions): Middleware {
  const keys = options.metadataKeys.map((k) => k.toLowerCase());
  const challenge = options.challenge ?? "Bearer";
  const policy = routePolicy<AuthRouteOptions, Required<AuthRouteOptions>>(
    { optional: options.optional ?? false, scopes: options.scopes ?? [] },
    options.routes,
    (o) => ({ optional: o.optional ?? false, scopes: o.scopes ?? [] }),
  );
  return async (call, next) => {
    for (const key of keys) call.metadata.remove(key);
    const route = call.route === undefined ? undefined : policy(call);
    if (route === undefined) return next();
    let identity: Identity | undefined;
    try {
      identity = await options.authenticator(call, route.scopes);
    } catch (err) {
      throw refusal(call, RpcError.from(err, Code.Unauthenticated));
    }
    if (identity === undefined) {
      if (route.optional) return next();
      throw refusal(call, unauthenticated("credentials are missing", challenge));
    }
    for (const [key, value] of Object.entries(identity.metadata)) {
      const lower = key.toLowerCase();
      if (!keys.includes(lower)) {
        throw new RpcError(`authenticator set metadata key ${key} it does not own`, Code.Internal);
      }
      call.metadata.set(lower, value);
    }
    return next();
  };
}

/** Puts an error's `www-authenticate` metadata on the response (also of a refused WebSocket upgrade). */
function refusal(call: GatewayCall, error: RpcError): RpcError {
  const challenge = error.metadata.get("www-authenticate")[0];
  if (typeof challenge === "string") call.setHeader("WWW-Authenticate", challenge);
  return error;
}

/**
 * A 401 UNAUTHENTICATED answered with `challenge` as `WWW-Authenticate`
 * (e.g. `Bearer realm="api", error="invalid_token", error_description="…"`).
 */
export function unauthenticated(
  message: string,
  challenge: string,
  reason = "UNAUTHENTICATED",
): RpcError {
  const metadata = new Metadata();
  metadata.set("www-authenticate", challenge);
  return new RpcError(message, Code.Unauthenticated, {
    metadata,
    details: [{ desc: ErrorInfoSchema, value: { reason, domain: "ts-gateway" } }],
  });
}

/** A 403 PERMISSION_DENIED, with `challenge` as `WWW-Authenticate` when given (RFC 6750 `insufficient_scope`). */
export function permissionDenied(message: string, challenge?: string): RpcError {
  const metadata = new Metadata();
  if (challenge !== undefined) metadata.set("www-authenticate", challenge);
  return new RpcError(message, Code.PermissionDenied, {
    metadata,
    details: [
      { desc: ErrorInfoSchema, value: { reason: "PERMISSION_DENIED", domain: "ts-gateway" } },
    ],
  });
}

/** A quoted-string for an auth-param (RFC 9110): printable ASCII, `"` and `\` escaped. */
export function quoted(value: string): string {
  return `"${value.replace(/[^\x20-\x7e]/g, "?").replace(/["\\]/g, "\\$&")}"`;
}
