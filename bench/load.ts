/**
 * The load generators, each run as its own process so it never shares an
 * event loop with a server: wrk when installed (`which wrk`), autocannon
 * (bench/autocannon-worker.ts) otherwise or with BENCH_LOADGEN=autocannon.
 */
import { execFile, execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";

/** One load run: a fixed number of connections for a fixed time, optionally at a fixed rate. */
export interface LoadSpec {
  readonly url: string;
  readonly method: "GET" | "POST";
  readonly body?: string;
  readonly connections: number;
  readonly seconds: number;
  /** Offered load in requests per second (autocannon's `overallRate`); absent: as fast as it answers. */
  readonly rate?: number;
}

/** What a load run measured. Latencies in milliseconds. */
export interface LoadResult {
  readonly requests: number;
  readonly rps: number;
  readonly p50: number;
  readonly p99: number;
  /** Non-2xx answers plus socket errors: a row with any is broken, not slow. */
  readonly errors: number;
}

export type LoadGenerator = "wrk" | "autocannon";

/** wrk when it is on the PATH (or forced with BENCH_LOADGEN), else autocannon. */
export function pickLoadGenerator(): LoadGenerator {
  const forced = process.env.BENCH_LOADGEN;
  if (forced === "wrk" || forced === "autocannon") return forced;
  try {
    execFileSync("wrk", ["--version"], { stdio: "ignore" });
    return "wrk";
  } catch (err) {
    // wrk --version exits 1 after printing its version: it exists.
    return (err as { code?: string }).code === "ENOENT" ? "autocannon" : "wrk";
  }
}

/** The generator's version line, for the report. */
export function loadGeneratorVersion(generator: LoadGenerator): string {
  if (generator === "autocannon") return "autocannon (node, separate process)";
  try {
    return execFileSync("wrk", ["--version"], { encoding: "utf8" }).split("\n")[0] ?? "wrk";
  } catch (err) {
    const out = String((err as { stdout?: unknown }).stdout ?? "");
    return out.split("\n")[0]?.trim() || "wrk";
  }
}

/**
 * Runs one load run in a child process. `workDir` holds wrk's Lua script for
 * POSTs. A fixed-rate run always uses autocannon: wrk has no rate option and
 * Debian has no wrk2.
 */
export function runLoad(
  generator: LoadGenerator,
  spec: LoadSpec,
  workDir: string,
): Promise<LoadResult> {
  return generator === "wrk" && spec.rate === undefined
    ? runWrk(spec, workDir)
    : runAutocannon(spec);
}

function runWrk(spec: LoadSpec, workDir: string): Promise<LoadResult> {
  const args = [
    "-t1",
    `-c${spec.connections}`,
    `-d${spec.seconds}s`,
    "--latency",
    "--timeout",
    "10s",
  ];
  if (spec.method === "POST") {
    const script = join(workDir, "post.lua");
    writeFileSync(
      script,
      [
        'wrk.method = "POST"',
        'wrk.headers["Content-Type"] = "application/json"',
        `wrk.body = [==[${spec.body ?? ""}]==]`,
        "",
      ].join("\n"),
    );
    args.push("-s", script);
  }
  args.push(spec.url);
  return new Promise((resolve, reject) => {
    execFile("wrk", args, { encoding: "utf8" }, (err, stdout, stderr) => {
      if (err) reject(new Error(`wrk failed: ${err.message}\n${stderr}`));
      else {
        try {
          resolve(parseWrk(stdout));
        } catch (e) {
          reject(e);
        }
      }
    });
  });
}

/** Parses wrk's `--latency` report. @internal exported for tests */
export function parseWrk(out: string): LoadResult {
  const total = /(\d+) requests in ([\d.]+)(us|ms|s|m)/.exec(out);
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(out);
  const p50 = /^\s+50%\s+([\d.]+)(us|ms|s)/m.exec(out);
  const p99 = /^\s+99%\s+([\d.]+)(us|ms|s)/m.exec(out);
  if (!total || !rps || !p50 || !p99) throw new Error(`cannot parse wrk output:\n${out}`);
  const non2xx = /Non-2xx or 3xx responses:\s+(\d+)/.exec(out);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const socketErrors = socket ? socket.slice(1).reduce((a, b) => a + Number(b), 0) : 0;
  return {
    requests: Number(total[1]),
    rps: Number(rps[1]),
    p50: toMs(Number(p50[1]), p50[2] as string),
    p99: toMs(Number(p99[1]), p99[2] as string),
    errors: Number(non2xx?.[1] ?? 0) + socketErrors,
  };
}

function toMs(value: number, unit: string): number {
  switch (unit) {
    case "us":
      return value / 1000;
    case "s":
      return value * 1000;
    default:
      return value;
  }
}

function runAutocannon(spec: LoadSpec): Promise<LoadResult> {
  const worker = join(import.meta.dirname, "autocannon-worker.ts");
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ["--import", "tsx", worker, JSON.stringify(spec)],
      { encoding: "utf8" },
      (err, stdout, stderr) => {
        if (err) reject(new Error(`autocannon failed: ${err.message}\n${stderr}`));
        else resolve(JSON.parse(stdout) as LoadResult);
      },
    );
  });
}
