import { RateLimiterMemory, type RateLimiterRes } from "rate-limiter-flexible";

type MemoryOptions = ConstructorParameters<typeof RateLimiterMemory>[0];

/**
 * Default of the `maxKeys` option: the keys one in-memory limiter holds at
 * most (about 45 MB, measured at ~450 bytes a key: the store's record and timer, and
 * this class's entry).
 */
export const defaultMaxKeys = 100_000;

/**
 * rate-limiter-flexible's `RateLimiterMemory` with a bound on the keys it
 * holds. The library frees a key when its window ends (a timer per key), but
 * within a window it keeps every key it has seen: with keys a client chooses
 * (a header, a subject, addresses behind a trusted proxy) a flood of distinct
 * keys would grow memory without bound. Here the keys whose window is
 * running are listed in the order their windows started; a new key past
 * `maxKeys` evicts the oldest (its count starts over, like nginx's
 * `limit_req` zone dropping its least recently used state when full).
 * @internal
 */
export class CappedRateLimiterMemory extends RateLimiterMemory {
  /** Key → end of its window (ms since the epoch), oldest window first. */
  readonly #windows = new Map<string, number>();
  readonly #maxKeys: number;

  constructor(options: MemoryOptions, maxKeys: number) {
    super(options);
    if (!(Number.isInteger(maxKeys) && maxKeys > 0)) {
      throw new Error(`rateLimit: maxKeys must be a positive integer, not ${maxKeys}`);
    }
    this.#maxKeys = maxKeys;
  }

  /** The keys whose window is running (at most `maxKeys`). */
  get size(): number {
    return this.#windows.size;
  }

  override consume(
    key: string | number,
    points?: number,
    options?: { [key: string]: unknown },
  ): Promise<RateLimiterRes> {
    this.#track(String(key));
    return super.consume(key, points, options);
  }

  #track(key: string): void {
    const now = Date.now();
    // Windows start in order and last alike, so the ones over are at the front.
    for (const [k, end] of this.#windows) {
      if (end > now) break;
      this.#windows.delete(k);
    }
    if (this.#windows.has(key)) return;
    while (this.#windows.size >= this.#maxKeys) {
      const oldest = this.#windows.keys().next().value as string;
      this.#windows.delete(oldest);
      void this.delete(oldest);
    }
    this.#windows.set(key, now + this.duration * 1000);
  }
}
