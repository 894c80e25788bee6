// Every wait of the test suite, each with a deadline: a test fails, it never hangs.
import type { EventEmitter } from "node:events";
import { createServer } from "node:net";

/**
 * Waits `ms`. Only for a delay that is itself the point (pacing a load,
 * letting a timer the test configured run out); to wait for something to
 * happen, use {@link until} (an event) or {@link eventually} (polling).
 */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Polls `check` until it returns a value other than `undefined` or `false`,
 * and resolves with it. Fails after `timeoutMs`, naming `what`; a `check`
 * that throws fails at once (catch inside it what may fail while waiting).
 */
export async function eventually<T>(
  check: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 5000,
  what = "condition",
  intervalMs = 25,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() >= end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}

/**
 * Waits until `predicate` holds, checking at once and on every `event` of
 * `emitter`; fails after `timeoutMs`.
 */
export function until(
  emitter: EventEmitter,
  event: string,
  predicate: () => boolean,
  timeoutMs = 10_000,
  what = `${event} until a condition holds`,
): Promise<void> {
  return new Promise((resolve, reject) => {
    if (predicate()) return resolve();
    const check = (): void => {
      if (!predicate()) return;
      clearTimeout(timer);
      emitter.off(event, check);
      resolve();
    };
    const timer = setTimeout(() => {
      emitter.off(event, check);
      reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
    }, timeoutMs);
    emitter.on(event, check);
  });
}

/** The next `event` of `emitter` (its arguments), or a failure after `timeoutMs`. */
export function next(emitter: EventEmitter, event: string, timeoutMs = 10_000): Promise<unknown[]> {
  return new Promise((resolve, reject) => {
    const listener = (...args: unknown[]): void => {
      clearTimeout(timer);
      resolve(args);
    };
    const timer = setTimeout(() => {
      emitter.off(event, listener);
      reject(new Error(`timed out after ${timeoutMs} ms waiting for ${event}`));
    }, timeoutMs);
    emitter.once(event, listener);
  });
}

/** A free TCP port on 127.0.0.1 (the kernel's pick; closed again before it resolves). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address !== null
          ? resolve(address.port)
          : reject(new Error("no port")),
      );
    });
  });
}
