import type { KeyObject, webcrypto } from "node:crypto";

type CryptoKey = webcrypto.CryptoKey;

import {
  createLocalJWKSet,
  createRemoteJWKSet,
  errors,
  type JSONWebKeySet,
  type JWTPayload,
  type JWTVerifyGetKey,
  jwtVerify,
} from "jose";
import { Code, RpcError } from "../core/rpc-error.js";
import type { GatewayCall, Middleware } from "../pipeline/pipeline.js";
import {
  type AuthRouteOptions,
  authenticate,
  permissionDenied,
  quoted,
  unauthenticated,
} from "../policy/authenticate.js";
import type { RouteRule } from "../policy/route-policy.js";
import { type TokenCacheOptions, VerifiedTokenCache } from "./verified-token-cache.js";

/** Maps a verified token's claims to one metadata value (undefined: not set). */
export type ClaimMapper = (claims: JWTPayload) => string | undefined;

/** Options of {@link jwtAuth}. Exactly one key source: `jwksUrl`, `jwks` or `key`. */
export interface JwtAuthOptions extends AuthRouteOptions {
  /** A JWKS endpoint: keys are cached, refetched for an unknown `kid` (at most once per cooldown), with a timeout. */
  jwksUrl?: string | URL;
  /** Static keys as a JWK Set. */
  jwks?: JSONWebKeySet;
  /** One static key (a public key, or a secret for HS* algorithms). */
  key?: KeyObject | CryptoKey | Uint8Array;
  /** The accepted `alg` values, e.g. `["RS256", "ES256"]`; required, and `none` is refused. */
  algorithms: readonly string[];
  /** Accepted `iss` values. */
  issuer?: string | readonly string[];
  /** Accepted `aud` values (one must be in the token's). */
  audience?: string | readonly string[];
  /** Leeway for `exp` and `nbf`, in seconds. Default 5. */
  clockToleranceSec?: number;
  /** Longest token accepted, in characters; longer is a 401 before any parsing. Default 8192. */
  maxTokenLength?: number;
  /** JWKS fetching: request timeout (default 5000 ms), cooldown between refetches (30000 ms), cache age (600000 ms). */
  jwksFetch?: { timeoutMs?: number; cooldownMs?: number; cacheMaxAgeMs?: number };
  /**
   * Metadata the backend receives, by key: a claim name or a function of the
   * claims. Default `{ "x-jwt-sub": "sub", "x-jwt-claims": <all claims as JSON> }`.
   * These keys are stripped from every request first.
   */
  claims?: Readonly<Record<string, string | ClaimMapper>>;
  /** The `realm` of the challenge. Default none. */
  realm?: string;
  /** Where the token is read; default the `Authorization: Bearer` header. */
  token?: (call: GatewayCall) => string | undefined;
  /** Per-route options (required scopes, optional), by selector; `false` turns auth off there. */
  routes?: readonly RouteRule<AuthRouteOptions>[];
  /**
   * Verified tokens are kept (by token string, at most `ttlMs` and never past
   * their `exp`) so that a client's repeated token is not verified on every
   * call. Default `{ maxTokens: 1000, ttlMs: 60000 }`; `false` verifies every call.
   */
  cache?: TokenCacheOptions | false;
}

/** The default claims mapping: the subject, and every claim as JSON. */
export const defaultClaimsMetadata: Readonly<Record<string, string | ClaimMapper>> = {
  "x-jwt-sub": "sub",
  "x-jwt-claims": (claims) => asciiJson(claims),
};

/**
 * JWT bearer authentication (RFC 6750) verified with `jose`: signature by
 * the configured keys and algorithms, `exp`/`nbf` with clock tolerance,
 * issuer and audience, then the route's required scopes (`scope` or `scp`).
 * Missing token → 401 with `WWW-Authenticate: Bearer realm=…`; invalid → 401
 * with `error="invalid_token"`; missing scope → 403 `insufficient_scope`; key
 * set unreachable → 503. The claims reach the backend as metadata.
 */
export function jwtAuth(options: JwtAuthOptions): Middleware {
  const algorithms = [...options.algorithms];
  if (algorithms.length === 0) throw new Error("jwtAuth: algorithms must list the accepted algs");
  if (algorithms.some((a) => a.toLowerCase() === "none")) {
    throw new Error('jwtAuth: the "none" algorithm is never accepted');
  }
  const getKey = keySource(options);
  const claims = options.claims ?? defaultClaimsMetadata;
  const realm = options.realm === undefined ? "" : ` realm=${quoted(options.realm)}`;
  const challenge = `Bearer${realm}`;
  const invalid = (description: string) =>
    unauthenticated(
      `invalid token: ${description}`,
      `Bearer${realm ? `${realm},` : ""} error="invalid_token", error_description=${quoted(description)}`,
      "INVALID_TOKEN",
    );
  const maxLength = options.maxTokenLength ?? 8192;
  const readToken = options.token ?? bearerToken;
  const clockToleranceSec = options.clockToleranceSec ?? 5;
  const cache =
    options.cache === false
      ? undefined
      : new VerifiedTokenCache(options.cache ?? {}, clockToleranceSec);
  const verifyOptions = {
    algorithms,
    clockTolerance: clockToleranceSec,
    ...(options.issuer === undefined ? {} : { issuer: toArray(options.issuer) }),
    ...(options.audience === undefined ? {} : { audience: toArray(options.audience) }),
  };
  return authenticate({
    metadataKeys: Object.keys(claims),
    challenge,
    ...(options.optional === undefined ? {} : { optional: options.optional }),
    ...(options.scopes === undefined ? {} : { scopes: options.scopes }),
    ...(options.routes === undefined ? {} : { routes: options.routes }),
    async authenticator(call, required) {
      const token = readToken(call);
      if (token === undefined) return undefined;
      if (token.length > maxLength) throw invalid("token too long");
      let payload = cache?.get(token);
      if (payload === undefined) {
        try {
          payload = (await jwtVerify(token, getKey, verifyOptions)).payload;
        } catch (err) {
          throw verifyError(err, invalid);
        }
        cache?.set(token, payload);
      }
      const missing = required.filter((s) => !scopesOf(payload).includes(s));
      if (missing.length > 0) {
        throw permissionDenied(
          `token lacks scope ${missing.join(" ")}`,
          `Bearer${realm ? `${realm},` : ""} error="insufficient_scope", scope=${quoted(required.join(" "))}`,
        );
      }
      const metadata: Record<string, string> = {};
      for (const [key, claim] of Object.entries(claims)) {
        const value = typeof claim === "string" ? claimString(payload[claim]) : claim(payload);
        if (value !== undefined) metadata[key] = value;
      }
      return { metadata };
    },
  });
}

function keySource(options: JwtAuthOptions): JWTVerifyGetKey | KeyObject | CryptoKey | Uint8Array {
  const sources = [options.jwksUrl, options.jwks, options.key].filter((s) => s !== undefined);
  if (sources.length !== 1) throw new Error("jwtAuth: give exactly one of jwksUrl, jwks, key");
  if (options.jwksUrl !== undefined) {
    const fetch = options.jwksFetch ?? {};
    return createRemoteJWKSet(new URL(options.jwksUrl), {
      timeoutDuration: fetch.timeoutMs ?? 5000,
      cooldownDuration: fetch.cooldownMs ?? 30_000,
      cacheMaxAge: fetch.cacheMaxAgeMs ?? 600_000,
    });
  }
  if (options.jwks !== undefined) return createLocalJWKSet(options.jwks);
  return options.key as KeyObject | CryptoKey | Uint8Array;
}

/** The token of an `Authorization: Bearer <token>` header. */
export function bearerToken(call: GatewayCall): string | undefined {
  const header = call.headers.authorization;
  if (header === undefined) return undefined;
  const m = /^Bearer[ ]+([^ ]+)[ ]*$/i.exec(header);
  return m === null ? undefined : m[1];
}

/** A jose failure as the answer: the key set unreachable is the gateway's problem (503), the rest the token's (401). */
function verifyError(err: unknown, invalid: (description: string) => RpcError): RpcError {
  if (err instanceof errors.JWTExpired) return invalid("token expired");
  if (err instanceof errors.JWTClaimValidationFailed) {
    return invalid(err.claim === "nbf" ? "token not yet valid" : `bad "${err.claim}" claim`);
  }
  if (err instanceof errors.JWSSignatureVerificationFailed) return invalid("bad signature");
  if (err instanceof errors.JOSEAlgNotAllowed) return invalid("algorithm not allowed");
  if (err instanceof errors.JWKSNoMatchingKey) return invalid("no key matches the token");
  if (
    err instanceof errors.JWKSTimeout ||
    err instanceof errors.JWKSInvalid ||
    !(err instanceof errors.JOSEError)
  ) {
    return new RpcError("the token's key set is unavailable", Code.Unavailable, { cause: err });
  }
  return invalid("malformed token");
}

function scopesOf(payload: JWTPayload): string[] {
  const scope = payload.scope ?? payload.scp;
  if (typeof scope === "string") return scope.split(" ").filter((s) => s !== "");
  if (Array.isArray(scope)) return scope.filter((s): s is string => typeof s === "string");
  return [];
}

function claimString(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === "string") return /^[\x20-\x7e]*$/.test(value) ? value : asciiJson(value);
  return asciiJson(value);
}

/** JSON with every non-printable-ASCII character escaped, as metadata values must be. */
function asciiJson(value: unknown): string {
  return JSON.stringify(value).replace(
    /[^\x20-\x7e]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

function toArray(value: string | readonly string[]): string[] {
  return typeof value === "string" ? [value] : [...value];
}
