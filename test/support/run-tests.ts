// `npm run test:unit` and `npm run test:integration`: the test files split by
// what they start. A file is an integration test when it, or a local module it
// imports (transitively), loads node:child_process, node:cluster or
// playwright-core: it runs child processes (gateways, buf, nginx, etcd,
// Prometheus, Chromium…). So is a file that says so in a line comment
// starting `// Runs in test:integration:` with the reason (a fuzz run, a
// compiler run, hundreds of MiB streamed: too slow for the minute the unit
// tests get). The rest are unit tests: in-process, loopback only. A new test
// file is sorted by what it does; there is no list to keep.
import { spawn } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const processModules = /^(node:)?(child_process|cluster)$|^playwright-core$/;
const importPattern =
  /(?:^|\n)\s*(?:import|export)\s[^"';]*?from\s*["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)|(?:^|\n)\s*import\s*["']([^"']+)["']/g;

const memo = new Map<string, boolean>();

/** Whether `file` or a local module it imports starts processes. */
export function startsProcesses(file: string, seen = new Set<string>()): boolean {
  const known = memo.get(file);
  if (known !== undefined) return known;
  if (seen.has(file)) return false;
  seen.add(file);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return false;
  }
  let result = /^\/\/ Runs in test:integration:/m.test(text);
  for (const m of text.matchAll(importPattern)) {
    if (result) break;
    const spec = m[1] ?? m[2] ?? m[3] ?? "";
    if (processModules.test(spec)) result = true;
    else if (spec.startsWith(".")) {
      const target = resolve(dirname(file), spec);
      const candidates = [target.replace(/\.js$/, ".ts"), target];
      for (const c of candidates) {
        if (c.includes("/packages/") || c.includes("/gen/")) continue;
        if (startsProcesses(c, seen)) result = true;
      }
    }
    if (result) break;
  }
  memo.set(file, result);
  return result;
}

/** Every test file: test/<dir>/<name>.test.ts, as `npm test` runs them. */
export function testFiles(): string[] {
  const dir = join(root, "test");
  return readdirSync(dir)
    .filter((d) => statSync(join(dir, d)).isDirectory())
    .flatMap((d) =>
      readdirSync(join(dir, d))
        .filter((f) => f.endsWith(".test.ts"))
        .map((f) => join(dir, d, f)),
    )
    .sort();
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const kind = process.argv[2];
  if (kind !== "unit" && kind !== "integration" && kind !== "list") {
    console.error("usage: run-tests.ts unit|integration|list");
    process.exit(2);
  }
  const files = testFiles();
  if (kind === "list") {
    for (const f of files) {
      console.log(`${startsProcesses(f) ? "integration" : "unit       "} ${relative(root, f)}`);
    }
    process.exit(0);
  }
  const selected = files.filter((f) => startsProcesses(f) === (kind === "integration"));
  const args =
    kind === "unit"
      ? // One shard per core, all at once (node's default runs one file fewer than the cores).
        [
          "--test-timeout=60000",
          `--test-concurrency=${availableParallelism()}`,
          ...unitShards(selected),
        ]
      : ["--test-timeout=180000", ...selected.map((f) => relative(root, f))];
  const child = spawn(
    process.execPath,
    ["--import", "tsx", "--test", "--test-reporter=spec", ...args],
    { cwd: root, stdio: "inherit" },
  );
  child.on("exit", (code) => process.exit(code ?? 1));
}

/**
 * Unit test files, grouped into one entry file per core. `node --test` starts
 * a process per file, and loading tsx, the runtime, protobuf-es and grpc-js
 * took most of a unit run (65 processes × ~1 s on 2 cores). A shard imports
 * its files one after the other in one process, and node:test runs their
 * tests in that order (a failure's location names its file). The files are
 * dealt round-robin by size so the shards take about as long. Unit tests
 * must therefore leave no global state behind (listeners, timers, registered
 * grpc-js policies that only work for one copy of the runtime).
 */
function unitShards(selected: string[]): string[] {
  const count = Math.max(1, availableParallelism());
  const shards: string[][] = Array.from({ length: count }, () => []);
  const bySize = [...selected].sort((a, b) => statSync(b).size - statSync(a).size);
  bySize.forEach((f, i) => {
    shards[i % count]?.push(f);
  });
  const dir = join(root, "test/.shards");
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  return shards
    .filter((s) => s.length > 0)
    .map((files, i) => {
      const file = join(dir, `unit-${i + 1}.test.mjs`);
      const imports = files
        .sort()
        .map((f) => `await import(${JSON.stringify(relative(dir, f).replace(/\.ts$/, ".js"))});`);
      writeFileSync(
        file,
        `// Generated by test/support/run-tests.ts: ${files.length} unit test files.\n${imports.join("\n")}\n`,
      );
      return relative(root, file);
    });
}
