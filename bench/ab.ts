/**
 * A/B of row variants, interleaved, for judging one change on a busy machine
 * by the server's CPU time per request rather than by absolute req/s.
 *
 * Usage: `node --import tsx bench/ab.ts <scenario> <variant>…`, a variant being
 * `row` or `row@NAME=value,NAME=value` (environment of that row's process, e.g.
 * `gateway-node@NODE_OPTIONS=--max-semi-space-size=16`; `standalone-w<n>` rows
 * run `ts-gateway serve` as in bench/run.ts). Each round runs every
 * variant once (A B … then … B A), `BENCH_ROUNDS` (6) rounds of `BENCH_SECONDS`
 * (4) s, wrk with 32 connections, against the Go backend when built (else
 * grpc-js). Prints per round req/s and CPU µs/req, then each variant's median
 * CPU/req and req/s as ratios to the first variant (median of per-round ratios).
 * Needs `npm run build` and `npm run generate` first.
 */
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { pickLoadGenerator, runLoad } from "./load.js";
import { startNative } from "./native-process.js";
import { type ServerProcess, startProcess } from "./processes.js";
import * as fixtures from "./service.js";
import { standaloneWorkers, startStandalone } from "./standalone-gateway.js";
import { fmt, median } from "./stats.js";

const [scenarioName, ...variants] = process.argv.slice(2);
const paths: Record<string, { path: string; method: "GET" | "POST"; body?: string }> = {
  get: { path: fixtures.getPath, method: "GET" },
  post: { path: fixtures.postPath, method: "POST", body: fixtures.createBody },
  list: { path: fixtures.listPath, method: "GET" },
};
const scenario = paths[scenarioName ?? ""];
if (scenario === undefined || variants.length === 0) {
  throw new Error("usage: ab.ts get|post|list <row[@ENV=value,…]>…");
}
const rounds = Number(process.env.BENCH_ROUNDS ?? 6);
const seconds = Number(process.env.BENCH_SECONDS ?? 4);
const outDir = join(import.meta.dirname, "out");
mkdirSync(outDir, { recursive: true });
const goDir = join(outDir, "go");
const generator = pickLoadGenerator();
const started: ServerProcess[] = [];

async function main(): Promise<void> {
  const backend = existsSync(join(goDir, "backend"))
    ? await startNative("backend", join(goDir, "backend"), ["-listen", "127.0.0.1:0"])
    : await startProcess("backend", "backend.ts", [], {});
  started.push(backend);
  const address = `127.0.0.1:${backend.port}`;
  const servers: ServerProcess[] = [];
  for (const variant of variants) {
    const [row = "", envText] = variant.split("@");
    const env: Record<string, string> = { BENCH_BACKEND: address };
    for (const pair of envText?.split(",") ?? []) {
      const eq = pair.indexOf("=");
      env[pair.slice(0, eq)] = pair.slice(eq + 1);
    }
    const workers = standaloneWorkers(row);
    const server =
      workers === undefined
        ? await startProcess(variant, "server.ts", [row], env)
        : await startStandalone(variant, workers, address, outDir, undefined, env);
    started.push(server);
    servers.push(server);
  }
  // A Connect row (see fixtures.connectRows) gets the scenario's call over Connect.
  const requestOf = (s: ServerProcess) => {
    const row = s.name.split("@")[0] ?? "";
    const connect = fixtures.connectRows.includes(row)
      ? fixtures.connectRequests[scenarioName ?? ""]
      : undefined;
    return connect === undefined ? scenario : { ...connect, method: "POST" as const };
  };
  const spec = (s: ServerProcess, secs: number) => {
    const r = requestOf(s);
    return {
      url: `http://127.0.0.1:${s.port}${r?.path}`,
      method: r?.method ?? "GET",
      ...(r?.body === undefined ? {} : { body: r.body }),
      connections: 32,
      seconds: secs,
    };
  };
  for (const s of servers) await runLoad(generator, spec(s, 2), outDir); // warm up
  const cpu: number[][] = servers.map(() => []);
  const rps: number[][] = servers.map(() => []);
  for (let round = 0; round < rounds; round++) {
    const order = servers.map((_, i) => i);
    if (round % 2 === 1) order.reverse();
    for (const i of order) {
      const s = servers[i] as ServerProcess;
      const before = await s.usage();
      const result = await runLoad(generator, spec(s, seconds), outDir);
      const after = await s.usage();
      if (result.errors > 0) throw new Error(`${s.name}: ${result.errors} errors`);
      const perRequest = (after.cpuMicros - before.cpuMicros) / Math.max(1, result.requests);
      cpu[i]?.push(perRequest);
      rps[i]?.push(result.rps);
      console.log(
        `round ${round + 1} ${s.name}: ${fmt(result.rps)} req/s, ${fmt(perRequest, 1)} µs CPU/req`,
      );
    }
  }
  console.log(`\n${scenarioName}, ${rounds} rounds × ${seconds} s, medians:`);
  servers.forEach((s, i) => {
    const ratio = (of: number[][]) =>
      median(of[i]?.map((v, r) => v / (of[0]?.[r] ?? Number.NaN)) ?? []);
    console.log(
      `${s.name}: ${fmt(median(cpu[i] ?? []), 1)} µs CPU/req (${fmt(ratio(cpu), 3)} × first), ` +
        `${fmt(median(rps[i] ?? []))} req/s (${fmt(ratio(rps), 3)} × first)`,
    );
  });
}

try {
  await main();
} finally {
  await Promise.all(started.map((s) => s.stop()));
}
