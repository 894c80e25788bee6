// Child processes for the CLI tests: the `ts-gateway` bin as users run it,
// plain grpc-js backends, and the example's backend. Every process is
// registered so `stopAll()` can kill it by PID.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { once } from "node:events";
import { copyFileSync, existsSync, writeFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { tempDir } from "../../support/temp-dirs.js";

export const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));
export const gatewayBin = join(repoRoot, "packages/gateway/bin/ts-gateway");
const plainBackendEntry = join(repoRoot, "test/gateway/support/plain-backend.ts");
const libraryBackendEntry = join(repoRoot, "test/gateway/support/library-backend.ts");

const started = new Set<ChildProcess>();

/** A running child process and what it printed. */
export interface Child {
  readonly process: ChildProcess;
  readonly pid: number;
  /** Everything written to stdout and stderr so far. */
  output(): string;
  /** Resolves with the first stdout line matching `pattern` (within `timeoutMs`). */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Resolves with the exit code (or signal name) once the process exited. */
  exited: Promise<number | string>;
}

/** Starts a process and records it for {@link stopAll}. */
export function startChild(
  command: string,
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string } = {},
): Child {
  const child = spawn(command, args, {
    cwd: options.cwd ?? repoRoot,
    env: { ...process.env, ...options.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  started.add(child);
  let out = "";
  const waiters = new Set<() => void>();
  const onData = (chunk: Buffer) => {
    out += chunk.toString();
    for (const w of waiters) w();
  };
  child.stdout?.on("data", onData);
  child.stderr?.on("data", onData);
  child.on("error", () => {});
  const exited = new Promise<number | string>((resolve) =>
    child.once("exit", (code, signal) => {
      started.delete(child);
      resolve(code ?? signal ?? -1);
      for (const w of waiters) w();
    }),
  );
  return {
    process: child,
    pid: child.pid ?? -1,
    output: () => out,
    exited,
    waitFor(pattern, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const m = out.match(pattern);
          if (m !== null) {
            done();
            resolve(m);
          } else if (child.exitCode !== null || child.signalCode !== null) {
            done();
            reject(new Error(`process exited before ${pattern}:\n${out}`));
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`timed out waiting for ${pattern}:\n${out}`));
        }, timeoutMs);
        const done = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
  };
}

/** SIGKILLs every process still running (by PID); call from `after`. */
export async function stopAll(): Promise<void> {
  const waits: Promise<unknown>[] = [];
  for (const child of started) {
    if (child.exitCode === null && child.signalCode === null) {
      waits.push(once(child, "exit"));
      child.kill("SIGKILL");
    }
  }
  await Promise.all(waits);
}

/** A plain grpc-js backend of gateway.v1.InventoryService on `port` (0 = any); answers name it. */
export async function startPlainBackend(
  name: string,
  port = 0,
  host = "127.0.0.1",
  env: NodeJS.ProcessEnv = {},
): Promise<{ child: Child; port: number }> {
  const child = startChild(
    process.execPath,
    ["--import", "tsx", plainBackendEntry, String(port), name],
    { env: { BIND_HOST: host, ...env } },
  );
  const m = await child.waitFor(/listening (\d+)/);
  return { child, port: Number(m[1]) };
}

/** The example's Library backend (in-memory, with grpc.health.v1). */
export async function startLibraryBackend(): Promise<{ child: Child; port: number }> {
  const child = startChild(process.execPath, ["--import", "tsx", libraryBackendEntry]);
  const m = await child.waitFor(/listening (\d+)/);
  return { child, port: Number(m[1]) };
}

/** Runs `ts-gateway serve <config> ...args` and waits for its first `listening` line. */
export async function startGateway(
  config: string,
  args: readonly string[] = [],
  env: NodeJS.ProcessEnv = {},
): Promise<Child> {
  const child = startChild(process.execPath, [gatewayBin, "serve", config, ...args], { env });
  await child.waitFor(/^listening /m, 60_000);
  return child;
}

/** Runs `ts-gateway <args>` to completion. */
export function runGateway(
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
  cwd = repoRoot,
): { status: number; stdout: string; stderr: string } {
  try {
    const stdout = execFileSync(process.execPath, [gatewayBin, ...args], {
      cwd,
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
      timeout: 60_000,
    }).toString();
    return { status: 0, stdout, stderr: "" };
  } catch (err) {
    const e = err as { status: number | null; stdout: Buffer; stderr: Buffer };
    return { status: e.status ?? -1, stdout: e.stdout.toString(), stderr: e.stderr.toString() };
  }
}

/** A temporary folder holding the Inventory descriptor set (`buf build`) and what tests write. */
export function makeWorkdir(): { dir: string; write: (name: string, text: string) => string } {
  const dir = tempDir("ts-gateway-cli-");
  return {
    dir,
    write: (name, text) => {
      const path = join(dir, name);
      writeFileSync(path, text);
      return path;
    },
  };
}

/**
 * The Inventory proto's descriptor set (with its google/api imports) at `file`:
 * a copy of the one `npm run generate` builds, else `buf build` now.
 */
export function buildDescriptorSet(file: string): void {
  const built = join(repoRoot, "test/gateway/gen/inventory.binpb");
  if (existsSync(built)) {
    copyFileSync(built, file);
    return;
  }
  bufBuild("test/proto/gateway/v1/inventory.proto", file);
}

/** `buf build` of one proto file of the repository (`proto`, relative to its root) into the descriptor set `out`. */
export function bufBuild(proto: string, out: string): void {
  execFileSync(join(repoRoot, "node_modules/.bin/buf"), ["build", "--path", proto, "-o", out], {
    cwd: repoRoot,
    stdio: "pipe",
  });
}

/** Sends `count` requests through `send` with `concurrency` in flight; returns the results. */
export async function load<T>(
  count: number,
  concurrency: number,
  send: (i: number) => Promise<T>,
): Promise<T[]> {
  const results: T[] = new Array(count);
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      results[i] = await send(i);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return results;
}

/** One request on a new connection (no keep-alive pool), so a cluster's connection balancing shows. */
export function freshRequest(
  url: string,
  method = "GET",
): Promise<{ status: number; headers: import("node:http").IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method, agent: false }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        body += chunk;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.setTimeout(30_000, () => req.destroy(new Error("timed out")));
    req.end();
  });
}
