/**
 * Route matching cost against the route count, in its own process: a route
 * table holding the benchmark's 3 routes plus generated-like ones up to N,
 * timing `match` of the benchmark's paths. Prints `{ [N]: ns per match }` as
 * JSON. Rounds alternate between table sizes so drift cancels.
 */
import { RouteTable } from "@ts-gateway/runtime";
import { benchServiceRoutes } from "./gen/bench/v1/bench_gateway.js";
import { syntheticRoutes } from "./synthetic-routes.js";

const sizes = (process.argv[2] ?? "10,1000").split(",").map(Number);
const iterations = Number(process.argv[3] ?? 300_000);
const rounds = 5;
const probes: Array<[string, string]> = [
  ["GET", "/v1/items/42"],
  ["GET", "/v1/items"],
  ["POST", "/v1/items"],
  ["GET", "/v1/items/a%2Fb"],
];

function table(size: number): RouteTable<number> {
  const t = new RouteTable<number>();
  let i = 0;
  for (const r of [...benchServiceRoutes.routes, ...syntheticRoutes(size - 3)]) {
    t.add(r.method, r.pattern, i++, `${r.method} ${r.path}`);
  }
  return t;
}

function time(t: RouteTable<number>): number {
  let sink = 0;
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) {
    const [method, path] = probes[i & 3] as [string, string];
    if (t.match(method, path).kind === "match") sink++;
  }
  const ns = Number(process.hrtime.bigint() - start) / iterations;
  if (sink !== iterations) throw new Error("a probe did not match");
  return ns;
}

const tables = sizes.map(table);
for (const t of tables) time(t); // warm up
const samples = sizes.map(() => [] as number[]);
for (let r = 0; r < rounds; r++) {
  tables.forEach((t, i) => {
    samples[i]?.push(time(t));
  });
}
const result: Record<string, number> = {};
sizes.forEach((size, i) => {
  const s = (samples[i] ?? []).sort((a, b) => a - b);
  result[String(size)] = s[Math.floor(s.length / 2)] ?? Number.NaN;
});
process.stdout.write(JSON.stringify(result));
