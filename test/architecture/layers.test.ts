// The runtime's layers, read from its own imports: each folder of
// packages/runtime/src imports only from folders below it, core and codec stay
// free of Node, grpc-js and the optional peers, and no import cycle exists.
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const src = resolve(dirname(fileURLToPath(import.meta.url)), "../../packages/runtime/src");

/** Layer ranks, bottom first: a folder may import its own folder and lower ranks only. */
const ranks: Record<string, number> = {
  util: 0,
  proto: 0,
  codec: 1,
  core: 2,
  // protovalidate's checks: below the mux, which runs them
  validation: 2.5,
  grpc: 3,
  http: 3,
  balancer: 4,
  docs: 4,
  health: 5,
  observability: 5,
  policy: 5,
  lifecycle: 6,
};
/** The subpath entries (src/*.ts) sit on top: they import anything, nothing imports them. */
const entryRank = 100;
/** Packages a pure layer may not import (value or type). */
const pureLayers = new Set(["proto", "codec", "core"]);
const impure = [/^node:/, /^@grpc\/grpc-js$/, /^ws$/, /^express$/, /^cockatiel$/, /^etcd3$/];

/**
 * Imports that break the rules today, each to be removed by the architecture
 * work; a new violation fails the test, and so does an entry here that no
 * longer occurs (so the list only shrinks).
 */
const known = new Set<string>([]);

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return tsFiles(path);
    return name.endsWith(".ts") && !name.endsWith(".d.ts") ? [path] : [];
  });
}

function layerOf(file: string): string {
  const rel = relative(src, file);
  const slash = rel.indexOf("/");
  return slash === -1 ? "(entry)" : rel.slice(0, slash);
}

function rankOf(layer: string): number {
  if (layer === "(entry)") return entryRank;
  const rank = ranks[layer];
  if (rank === undefined)
    throw new Error(`folder ${layer}/ has no layer rank in ${import.meta.url}`);
  return rank;
}

const importPattern =
  /(?:^|\n)\s*(?:import|export)\s[^"';]*?from\s*["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g;

function importsOf(file: string): string[] {
  const text = readFileSync(file, "utf8");
  return [...text.matchAll(importPattern)].map((m) => m[1] ?? m[2] ?? "");
}

const files = tsFiles(src);
const graph = new Map<string, string[]>();
const violations: string[] = [];
for (const file of files) {
  const from = relative(src, file);
  const layer = layerOf(file);
  const edges: string[] = [];
  for (const spec of importsOf(file)) {
    if (spec.startsWith(".")) {
      const target = resolve(dirname(file), spec).replace(/\.js$/, ".ts");
      const to = relative(src, target);
      if (to.startsWith("../")) {
        // Outside src/: only the hand-written declarations of types/ (no code).
        if (!to.startsWith("../types/")) violations.push(`${from} -> ${to}: outside src/`);
        continue;
      }
      edges.push(to);
      const toLayer = layerOf(target);
      if (toLayer === "(entry)") violations.push(`${from} -> ${to}: imports a subpath entry`);
      else if (toLayer !== layer && rankOf(toLayer) >= rankOf(layer)) {
        violations.push(`${from} -> ${to}: ${layer}/ may not import ${toLayer}/`);
      }
    } else if (pureLayers.has(layer) && impure.some((re) => re.test(spec))) {
      violations.push(`${from} -> ${spec}: ${layer}/ stays free of ${spec}`);
    }
  }
  graph.set(from, edges);
}

/** Tarjan's strongly connected components: every component of two or more files is a cycle. */
function cycles(): string[][] {
  let index = 0;
  const indices = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string): void => {
    indices.set(v, index);
    low.set(v, index);
    index++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!indices.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v) ?? 0, low.get(w) ?? 0));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v) ?? 0, indices.get(w) ?? 0));
      }
    }
    if (low.get(v) === indices.get(v)) {
      const component: string[] = [];
      let w: string | undefined;
      do {
        w = stack.pop();
        if (w === undefined) break;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1) found.push(component.sort());
    }
  };
  for (const v of graph.keys()) if (!indices.has(v)) visit(v);
  return found;
}

test("every runtime folder has a layer rank", () => {
  for (const file of files) rankOf(layerOf(file));
});

test("imports go down the layers only", () => {
  const unexpected = violations.filter((v) => !known.has(v));
  const fixed = [...known].filter((v) => !v.startsWith("cycle: ") && !violations.includes(v));
  assert.deepEqual(unexpected, [], "imports that go up or sideways a layer");
  assert.deepEqual(fixed, [], "known violations that are gone: remove them from `known`");
});

test("no import cycles", () => {
  const found = cycles().map((c) => c.join(" -> "));
  const unexpected = found.filter((c) => !known.has(`cycle: ${c}`));
  const fixed = [...known].filter((v) => v.startsWith("cycle: ") && !found.includes(v.slice(7)));
  assert.deepEqual(unexpected, []);
  assert.deepEqual(fixed, [], "known cycles that are gone: remove them from `known`");
});

/** Optional peers, each loaded only through the subpath entries that name it. */
const optionalPeers: Record<string, readonly string[]> = {
  "prom-client": ["metrics.ts"],
  "@opentelemetry/api": ["tracing.ts"],
  // Required by the mux only when made with the `webSocket` option.
  ws: [],
};

/** Packages a file loads (`import type` is erased, so it does not count). */
function valueImportsOf(file: string): string[] {
  const text = readFileSync(join(src, file), "utf8");
  const pattern = /(?:^|\n)\s*(?:import|export)\s(?!type\s)[^"';]*?from\s*["']([^"'.][^"']*)["']/g;
  return [...text.matchAll(pattern)].map((m) => m[1] ?? "");
}

test("an optional peer loads only through its own subpath entry", () => {
  const entries = files.filter((f) => layerOf(f) === "(entry)").map((f) => relative(src, f));
  for (const entry of entries) {
    const reached = new Set<string>();
    const walk = (file: string): void => {
      if (reached.has(file)) return;
      reached.add(file);
      for (const to of graph.get(file) ?? []) walk(to);
    };
    walk(entry);
    for (const [peer, allowed] of Object.entries(optionalPeers)) {
      if (allowed.includes(entry)) continue;
      const loaders = [...reached].filter((file) => valueImportsOf(file).includes(peer));
      assert.deepEqual(loaders, [], `${entry} loads ${peer}, an optional peer`);
    }
  }
});
