import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

/**
 * A full garbage collection now, as Node's documentation of
 * `v8.setFlagsFromString` shows it. Building a generation from large
 * descriptor sets leaves hundreds of MB of garbage (decoded descriptors,
 * route checks) that V8, idle while the gateway waits for requests, may keep
 * for a long time: Google's Cloud APIs (10k routes) held 1 GB RSS at rest
 * without it, about 300 MB with it.
 */
export function collectGarbage(): void {
  setFlagsFromString("--expose-gc");
  const gc = runInNewContext("gc") as (() => void) | undefined;
  setFlagsFromString("--no-expose-gc");
  // The first frees the objects and moves the survivors onto fewer pages; V8
  // gives the emptied pages back to the system at the next one.
  setFlagsFromString("--compact-on-every-full-gc");
  try {
    gc?.();
  } finally {
    setFlagsFromString("--no-compact-on-every-full-gc");
  }
  gc?.();
}
