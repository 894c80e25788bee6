/**
 * The standalone-gateway rows (issue 17, goal 3): `ts-gateway serve` (the
 * `packages/gateway` CLI, built by `npm run build`) with a YAML config that
 * serves BenchService from its descriptor set in front of the bench's shared
 * backend, with `workers: <n>` (`standalone-w1`, `standalone-w2`, …). Each row
 * is one process tree: with more than one worker a cluster primary and its
 * workers, so CPU time is the whole tree's and peak RSS is reported per worker.
 */
import { execFileSync, spawn } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { announcedPort, procUsage, stopChild } from "./native-process.js";
import type { ServerProcess } from "./processes.js";

const root = join(import.meta.dirname, "..");

/** `standalone-w<n>` → n; undefined for any other row name. */
export function standaloneWorkers(row: string): number | undefined {
  const n = /^standalone-w(\d+)$/.exec(row)?.[1];
  return n === undefined ? undefined : Number(n);
}

/** The YAML config of a row: one plain HTTP/1.1 listener on a free port, one backend. */
export function standaloneConfig(workers: number, backend: string, descriptorSet: string): string {
  return [
    "server:",
    "  listeners: [{ host: 127.0.0.1, port: 0 }]",
    `workers: ${workers}`,
    "shutdown: { drainDelayMs: 0, gracePeriodMs: 1000 }",
    "backends:",
    "  bench:",
    `    target: ["${backend}"]`,
    "services:",
    `  - descriptorSet: ${JSON.stringify(descriptorSet)}`,
    "    backend: bench",
    "",
  ].join("\n");
}

/** CPU time of a process and every live descendant, plus the children it has reaped. */
function treeUsage(pid: number): { cpuMicros: number; perProcess: Map<number, number> } {
  const perProcess = new Map<number, number>();
  let cpuMicros = 0;
  const visit = (p: number, top: boolean): void => {
    let usage: ReturnType<typeof procUsage>;
    try {
      usage = procUsage(p, top);
    } catch {
      return; // gone between listing and reading
    }
    cpuMicros += usage.cpuMicros;
    perProcess.set(p, usage.maxRssKiB);
    for (const child of childrenOf(p)) visit(child, false);
  };
  visit(pid, true);
  return { cpuMicros, perProcess };
}

function childrenOf(pid: number): number[] {
  const out: number[] = [];
  try {
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      const text = readFileSync(`/proc/${pid}/task/${task}/children`, "utf8").trim();
      if (text !== "") out.push(...text.split(" ").map(Number));
    }
  } catch {
    // the process is gone
  }
  return out;
}

/**
 * Starts `ts-gateway serve` for a row and resolves once it prints its address.
 * With `profileDir`, every process of the tree runs under `node --cpu-prof`
 * (cluster workers inherit the primary's Node options); `env` adds to its environment.
 */
export async function startStandalone(
  name: string,
  workers: number,
  backend: string,
  outDir: string,
  profileDir?: string,
  env: Record<string, string> = {},
): Promise<ServerProcess> {
  const dir = join(outDir, "standalone");
  mkdirSync(dir, { recursive: true });
  const descriptorSet = join(dir, "bench.binpb");
  execFileSync(
    join(root, "node_modules", ".bin", "buf"),
    ["build", "--path", "bench/proto/bench/v1/bench.proto", "-o", descriptorSet],
    { cwd: root, stdio: "inherit" },
  );
  const config = join(dir, `${name.replace(/[^\w.-]+/g, "_")}.yaml`);
  writeFileSync(config, standaloneConfig(workers, backend, descriptorSet));
  const nodeArgs = profileDir === undefined ? [] : ["--cpu-prof", `--cpu-prof-dir=${profileDir}`];
  const child = spawn(
    process.execPath,
    [...nodeArgs, join(root, "packages", "gateway", "bin", "ts-gateway"), "serve", config],
    { stdio: ["ignore", "pipe", "inherit"], env: { ...process.env, ...env } },
  );
  const port = await announcedPort(child, name, /listening http1 [^\s]*:(\d+)/);
  const pid = child.pid as number;
  return {
    name,
    child,
    port,
    usage: async () => {
      const tree = treeUsage(pid);
      // Peak RSS per worker: the largest worker's (the primary alone with one worker).
      const workerRss = [...tree.perProcess].filter(([p]) => workers === 1 || p !== pid);
      return {
        cpuMicros: tree.cpuMicros,
        maxRssKiB: Math.max(...workerRss.map(([, rss]) => rss)),
      };
    },
    stop: async () => {
      // Workers leave with their primary; any still there afterwards are killed by PID.
      const workerPids = childrenOf(pid);
      await stopChild(child, 10_000);
      for (const w of workerPids) {
        try {
          process.kill(w, "SIGKILL");
        } catch {
          // already gone
        }
      }
    },
  };
}
