import type { JWTPayload } from "jose";

/** Options of the verified-token cache of {@link jwtAuth}. */
export interface TokenCacheOptions {
  /** Tokens kept at most; past it the oldest entry goes. Default 1000. */
  maxTokens?: number;
  /** How long a verification is trusted, at most (never past the token's `exp`). Default 60 000 ms. */
  ttlMs?: number;
}

interface Entry {
  readonly payload: JWTPayload;
  readonly expiresAt: number;
}

/**
 * The payloads of tokens already verified, by token string, like Envoy's
 * `jwt_authn` cache: a client sends the same bearer token with every call, and
 * a signature check costs far more than the call's other work. An entry lives
 * at most `ttlMs` and never past the token's `exp` (plus the clock
 * tolerance); a token that expired is verified again, and so refused. A key
 * removed from the key set stops admitting its cached tokens within `ttlMs`
 * (jose itself keeps a fetched key set for `cacheMaxAgeMs`).
 */
export class VerifiedTokenCache {
  readonly #entries = new Map<string, Entry>();
  readonly #maxTokens: number;
  readonly #ttlMs: number;
  readonly #toleranceMs: number;

  constructor(options: TokenCacheOptions, clockToleranceSec: number) {
    this.#maxTokens = options.maxTokens ?? 1000;
    this.#ttlMs = options.ttlMs ?? 60_000;
    this.#toleranceMs = clockToleranceSec * 1000;
    if (!(this.#maxTokens >= 1) || !(this.#ttlMs > 0))
      throw new Error("jwtAuth: cache.maxTokens and cache.ttlMs must be positive");
  }

  /** The payload of a token verified before and still trusted, else undefined. */
  get(token: string, now = Date.now()): JWTPayload | undefined {
    const entry = this.#entries.get(token);
    if (entry === undefined) return undefined;
    if (now >= entry.expiresAt) {
      this.#entries.delete(token);
      return undefined;
    }
    return entry.payload;
  }

  /** Keeps a verified token's payload. */
  set(token: string, payload: JWTPayload, now = Date.now()): void {
    let expiresAt = now + this.#ttlMs;
    if (typeof payload.exp === "number")
      expiresAt = Math.min(expiresAt, payload.exp * 1000 + this.#toleranceMs);
    if (expiresAt <= now) return;
    this.#entries.delete(token);
    if (this.#entries.size >= this.#maxTokens) {
      const oldest = this.#entries.keys().next();
      if (oldest.done !== true) this.#entries.delete(oldest.value);
    }
    this.#entries.set(token, { payload, expiresAt });
  }

  get size(): number {
    return this.#entries.size;
  }
}
