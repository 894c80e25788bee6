import {
  type CompactJWSHeaderParameters,
  createLocalJWKSet,
  errors,
  type FlattenedJWSInput,
  type JSONWebKeySet,
  type JWTVerifyGetKey,
} from "jose";

/** Fetching of a remote key set (`jwksFetch` of {@link jwtAuth}), defaults applied. */
export interface RemoteKeySetOptions {
  /** Bound of one fetch. */
  readonly timeoutMs: number;
  /** Least time between two fetches, whether the last one worked or failed. */
  readonly cooldownMs: number;
  /** Age after which the keys are refetched; past it, keys a fetch could not renew are not used. */
  readonly cacheMaxAgeMs: number;
}

/** The key set could not be fetched: every token it would verify is a 503 until it can. */
export class KeySetUnavailable extends Error {
  override readonly name = "KeySetUnavailable";
}

/**
 * A JWK Set fetched from a URL, like jose's `createRemoteJWKSet` (whose
 * `createLocalJWKSet` does the key selection here), with one difference
 * that matters while the identity provider fails: jose's cooldown only
 * starts after a fetch that worked, so every token with an unknown `kid`
 * makes a new fetch while the endpoint is down. Here a fetch is attempted at
 * most once per `cooldownMs` whatever its result, so clients cannot drive
 * the fetch rate; and a key set that cannot be fetched (never fetched, older
 * than `cacheMaxAgeMs` and not renewed, or a `kid` not in it while the last
 * fetch failed) is {@link KeySetUnavailable} (503), never a 401 for a token
 * that may be valid.
 * @internal
 */
export class RemoteKeySet {
  readonly #url: URL;
  readonly #options: RemoteKeySetOptions;
  /** jose's lookup over the last key set fetched. */
  #keys: JWTVerifyGetKey | undefined;
  #fetchedAt = Number.NEGATIVE_INFINITY;
  #attemptedAt = Number.NEGATIVE_INFINITY;
  /** Why the last fetch failed; undefined when it worked. */
  #failure: unknown;
  #pending: Promise<void> | undefined;
  /** Fetches attempted so far. */
  fetches = 0;

  constructor(url: URL, options: RemoteKeySetOptions) {
    this.#url = url;
    this.#options = options;
  }

  /** The key lookup `jwtVerify` takes. */
  readonly getKey = async (
    header: CompactJWSHeaderParameters,
    token: FlattenedJWSInput,
  ): Promise<Awaited<ReturnType<JWTVerifyGetKey>>> => {
    if (this.#stale()) {
      await this.#refresh();
      if (this.#stale()) throw this.#unavailable();
    }
    try {
      return await this.#lookup(header, token);
    } catch (err) {
      if (!(err instanceof errors.JWKSNoMatchingKey)) throw err;
      // An unknown `kid`: the issuer may have added a key; refetch, at most once per cooldown.
      await this.#refresh();
      if (this.#failure !== undefined) throw this.#unavailable();
      return this.#lookup(header, token);
    }
  };

  #stale(): boolean {
    return this.#keys === undefined || Date.now() - this.#fetchedAt >= this.#options.cacheMaxAgeMs;
  }

  #lookup(header: CompactJWSHeaderParameters, token: FlattenedJWSInput) {
    const keys = this.#keys;
    if (keys === undefined) throw this.#unavailable();
    return keys(header, token);
  }

  #unavailable(): KeySetUnavailable {
    const cause = this.#failure;
    const reason =
      cause === undefined
        ? "it is older than cacheMaxAgeMs"
        : cause instanceof Error
          ? cause.message
          : String(cause);
    return new KeySetUnavailable(`JWKS ${this.#url.href} could not be fetched: ${reason}`, {
      cause,
    });
  }

  /** Fetches the key set unless a fetch is under way (then waits for it) or the cooldown runs. */
  #refresh(): Promise<void> {
    if (this.#pending !== undefined) return this.#pending;
    const now = Date.now();
    if (now - this.#attemptedAt < this.#options.cooldownMs) return Promise.resolve();
    this.#attemptedAt = now;
    this.fetches++;
    this.#pending = this.#fetch().then(
      (keys) => {
        this.#keys = keys;
        this.#fetchedAt = Date.now();
        this.#failure = undefined;
      },
      (err: unknown) => {
        this.#failure = err;
      },
    );
    void this.#pending.finally(() => {
      this.#pending = undefined;
    });
    return this.#pending;
  }

  async #fetch(): Promise<JWTVerifyGetKey> {
    const res = await fetch(this.#url, {
      headers: { accept: "application/json" },
      redirect: "manual",
      signal: AbortSignal.timeout(this.#options.timeoutMs),
    });
    if (res.status !== 200) {
      await res.body?.cancel();
      throw new Error(`HTTP ${res.status}`);
    }
    // jose checks the shape (a `keys` array of JWKs): JWKSInvalid otherwise.
    return createLocalJWKSet((await res.json()) as JSONWebKeySet);
  }
}
