// The layers of packages/runtime and packages/gateway, read from their own
// imports: each folder imports only from folders of a lower rank (the ranks are
// the table of each package's src/README.md), the pure layers stay free of
// Node, grpc-js and the optional peers, and no import cycle exists.
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const packages = resolve(dirname(fileURLToPath(import.meta.url)), "../../packages");

interface Layered {
  readonly name: string;
  readonly src: string;
  /** Folders that may not import Node, grpc-js or the optional peers (value or type). */
  readonly pure: ReadonlySet<string>;
}

const layered: readonly Layered[] = [
  {
    name: "runtime",
    src: join(packages, "runtime/src"),
    pure: new Set(["proto", "codec", "core"]),
  },
  { name: "gateway", src: join(packages, "gateway/src"), pure: new Set(["shared"]) },
];
const impure = [/^node:/, /^@grpc\/grpc-js$/, /^ws$/, /^express$/, /^cockatiel$/, /^etcd3$/];

/**
 * Imports allowed to break the rules: none. A violation is fixed, not listed
 * here; an entry that no longer occurs fails the test too.
 */
const known = new Set<string>([]);

/** The rank table of a package's src/README.md: rows of `| rank | \`folder/\` | what |`. */
function ranksOf(src: string): Map<string, number> {
  const ranks = new Map<string, number>();
  const readme = readFileSync(join(src, "README.md"), "utf8");
  for (const m of readme.matchAll(/^\|\s*(\d+)\s*\|\s*`([\w-]+)\/`\s*\|/gm)) {
    ranks.set(m[2] ?? "", Number(m[1]));
  }
  return ranks;
}

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return tsFiles(path);
    return name.endsWith(".ts") && !name.endsWith(".d.ts") ? [path] : [];
  });
}

/** The file's folder under src/, or `(entry)` for src/*.ts and a subpath's folder/index.ts. */
function layerOf(src: string, file: string): string {
  const rel = relative(src, file);
  const slash = rel.indexOf("/");
  if (slash === -1 || rel === `${rel.slice(0, slash)}/index.ts`) return "(entry)";
  return rel.slice(0, slash);
}

const importPattern =
  /(?:^|\n)\s*(?:import|export)\s[^"';]*?from\s*["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g;

function importsOf(file: string): string[] {
  const text = readFileSync(file, "utf8");
  return [...text.matchAll(importPattern)].map((m) => m[1] ?? m[2] ?? "");
}

interface Analysis {
  readonly files: readonly string[];
  readonly graph: Map<string, string[]>;
  readonly violations: readonly string[];
  readonly unranked: readonly string[];
}

function analyse({ src, pure }: Layered): Analysis {
  const ranks = ranksOf(src);
  const files = tsFiles(src);
  const graph = new Map<string, string[]>();
  const violations: string[] = [];
  const unranked = new Set<string>();
  const rankOf = (layer: string): number => {
    if (layer === "(entry)") return Number.POSITIVE_INFINITY;
    const rank = ranks.get(layer);
    if (rank === undefined) unranked.add(layer);
    return rank ?? Number.NaN;
  };
  for (const file of files) {
    const from = relative(src, file);
    const layer = layerOf(src, file);
    rankOf(layer);
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
        const toLayer = layerOf(src, target);
        if (toLayer === "(entry)") violations.push(`${from} -> ${to}: imports an entry`);
        else if (toLayer !== layer && !(rankOf(toLayer) < rankOf(layer))) {
          violations.push(`${from} -> ${to}: ${layer}/ may not import ${toLayer}/`);
        }
      } else if (pure.has(layer) && impure.some((re) => re.test(spec))) {
        violations.push(`${from} -> ${spec}: ${layer}/ stays free of ${spec}`);
      }
    }
    graph.set(from, edges);
  }
  return { files, graph, violations, unranked: [...unranked] };
}

/** Tarjan's strongly connected components: every component of two or more files is a cycle. */
function cycles(graph: Map<string, string[]>): string[][] {
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

for (const pkg of layered) {
  const { files, graph, violations, unranked } = analyse(pkg);

  test(`${pkg.name}: every folder has a rank in src/README.md`, () => {
    assert.ok(files.length > 10, `found the sources of ${pkg.src}`);
    assert.deepEqual(unranked, []);
  });

  test(`${pkg.name}: imports go down the layers only`, () => {
    const unexpected = violations.filter((v) => !known.has(v));
    assert.deepEqual(unexpected, [], "imports that go up or sideways a layer");
  });

  test(`${pkg.name}: no import cycles`, () => {
    const found = cycles(graph).map((c) => c.join(" -> "));
    assert.deepEqual(
      found.filter((c) => !known.has(`cycle: ${c}`)),
      [],
    );
  });
}

test("`known` lists only violations that still occur", () => {
  const all = layered.flatMap((pkg) => {
    const { graph, violations } = analyse(pkg);
    return [...violations, ...cycles(graph).map((c) => `cycle: ${c.join(" -> ")}`)];
  });
  assert.deepEqual(
    [...known].filter((v) => !all.includes(v)),
    [],
  );
});

/** Optional peers, each loaded only through the subpath entries that name it. */
const optionalPeers: Record<string, readonly string[]> = {
  "prom-client": ["metrics/index.ts"],
  "@opentelemetry/api": ["tracing/index.ts"],
  // Required by the mux only when made with the `webSocket` option.
  ws: [],
};

/** Packages a file loads (`import type` is erased, so it does not count). */
const runtime = layered[0]!;
const runtimeGraph = analyse(runtime).graph;

function valueImportsOf(file: string): string[] {
  const text = readFileSync(join(runtime.src, file), "utf8");
  const pattern = /(?:^|\n)\s*(?:import|export)\s(?!type\s)[^"';]*?from\s*["']([^"'.][^"']*)["']/g;
  return [...text.matchAll(pattern)].map((m) => m[1] ?? "");
}

test("an optional peer loads only through its own subpath entry", () => {
  const entries = [...runtimeGraph.keys()].filter(
    (f) => layerOf(runtime.src, join(runtime.src, f)) === "(entry)",
  );
  for (const entry of entries) {
    const reached = new Set<string>();
    const walk = (file: string): void => {
      if (reached.has(file)) return;
      reached.add(file);
      for (const to of runtimeGraph.get(file) ?? []) walk(to);
    };
    walk(entry);
    for (const [peer, allowed] of Object.entries(optionalPeers)) {
      if (allowed.includes(entry)) continue;
      const loaders = [...reached].filter((file) => valueImportsOf(file).includes(peer));
      assert.deepEqual(loaders, [], `${entry} loads ${peer}, an optional peer`);
    }
  }
});
