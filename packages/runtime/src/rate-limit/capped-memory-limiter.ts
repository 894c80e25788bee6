import { createHash } from "node:crypto";
import { RateLimiterMemory, type RateLimiterRes } from "rate-limiter-flexible";

type MemoryOptions = ConstructorParameters<typeof RateLimiterMemory>[0];

/** Default of the `maxKeys` option: client states one {@link rateLimit} keeps in memory at most. */
export const defaultMaxKeys = 100_000;

/** Default of the `maxBytes` option: 32 MiB, about 50 000 states (nginx's `limit_req_zone` is sized in bytes too). */
export const defaultMaxBytes = 32 * 1024 * 1024;

/** Keys longer than this are counted under their SHA-256 (a client-chosen header can be 16 KB). */
export const maxKeyLength = 64;

/**
 * What one state costs in memory besides its key, measured (Node 20-24): the
 * store's record and timer, this zone's entry, and the two copies of the
 * key (this zone's, and the store's with its prefix) as one-byte strings.
 */
const stateOverheadBytes = 560;

/** A key of bounded length: itself up to {@link maxKeyLength} characters, else `#` and its SHA-256. */
export function boundedKey(key: string): string {
  if (key.length <= maxKeyLength) return key;
  return `#${createHash("sha256").update(key).digest("base64url")}`;
}

interface State {
  readonly limiter: CappedRateLimiterMemory;
  readonly key: string;
  /** End of its window, ms since the epoch. */
  readonly end: number;
  readonly bytes: number;
}

/**
 * The memory the in-memory limiters of one {@link rateLimit} share, like an
 * nginx `limit_req_zone`: at most `maxKeys` client states taking at most
 * `maxBytes` together. A new state past either bound evicts the one whose
 * window started first (its count starts over, as nginx drops its least
 * recently used states when the zone is full). Keys are bounded in length
 * ({@link boundedKey}), so `maxBytes` bounds the memory whatever the clients
 * send.
 * @internal
 */
export class KeyZone {
  readonly maxKeys: number;
  readonly maxBytes: number;
  /** `limiter id + key` → state, oldest window first. */
  readonly #states = new Map<string, State>();
  #bytes = 0;

  constructor(maxKeys: number, maxBytes: number) {
    if (!(Number.isInteger(maxKeys) && maxKeys > 0)) {
      throw new Error(`rateLimit: maxKeys must be a positive integer, not ${maxKeys}`);
    }
    if (!(Number.isInteger(maxBytes) && maxBytes >= 65_536)) {
      throw new Error(`rateLimit: maxBytes must be an integer of at least 65536, not ${maxBytes}`);
    }
    this.maxKeys = maxKeys;
    this.maxBytes = maxBytes;
  }

  /** States held now. */
  get size(): number {
    return this.#states.size;
  }

  /** Their estimated bytes. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Records that `limiter` counts `key` now, evicting the oldest states past the bounds. */
  track(limiter: CappedRateLimiterMemory, id: string, key: string, durationMs: number): void {
    const now = Date.now();
    // Windows of one duration end in the order they start: the ones over are at the front.
    for (const [k, state] of this.#states) {
      if (state.end > now) break;
      this.#remove(k, state);
    }
    const zoneKey = `${id}\n${key}`;
    if (this.#states.has(zoneKey)) return;
    const bytes = stateOverheadBytes + limiter.keyPrefix.length + 2 * key.length;
    while (
      this.#states.size > 0 &&
      (this.#states.size >= this.maxKeys || this.#bytes + bytes > this.maxBytes)
    ) {
      const [k, oldest] = this.#states.entries().next().value as [string, State];
      this.#remove(k, oldest);
      void oldest.limiter.delete(oldest.key);
    }
    this.#states.set(zoneKey, { limiter, key, end: now + durationMs, bytes });
    this.#bytes += bytes;
  }

  #remove(zoneKey: string, state: State): void {
    this.#states.delete(zoneKey);
    this.#bytes -= state.bytes;
  }
}

let limiters = 0;

/**
 * rate-limiter-flexible's `RateLimiterMemory` whose states live in a
 * {@link KeyZone}. The library frees a key when its window ends (a timer per
 * key), but within a window it keeps every key it has seen: with keys a
 * client chooses (a header, a subject, addresses behind a trusted proxy) a
 * flood of distinct keys would grow memory without bound.
 * @internal
 */
export class CappedRateLimiterMemory extends RateLimiterMemory {
  readonly #zone: KeyZone;
  readonly #id = String(++limiters);

  constructor(options: MemoryOptions, zone: KeyZone) {
    super(options);
    this.#zone = zone;
  }

  override consume(
    key: string | number,
    points?: number,
    options?: { [key: string]: unknown },
  ): Promise<RateLimiterRes> {
    const bounded = boundedKey(String(key));
    this.#zone.track(this, this.#id, bounded, this.duration * 1000);
    return super.consume(bounded, points, options);
  }
}
