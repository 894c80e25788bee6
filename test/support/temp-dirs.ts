// Temporary directories a test file makes, removed when its process exits
// (node --test runs each file in a process of its own), whatever the test's
// outcome: a suite's `after` does not run for a file that failed to load.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const made = new Set<string>();

function removeAll(): void {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
  made.clear();
}

/** A new directory `<tmp>/<prefix>XXXXXX`, removed at this process's exit. */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  if (made.size === 0) process.once("exit", removeAll);
  made.add(dir);
  return dir;
}
