/**
 * Starts a native (Go) benchmark process: it prints `listening on host:port`
 * on stdout once it accepts connections. Its CPU time and peak RSS are read
 * from /proc (Linux), so it needs no IPC of ours.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import type { Readable } from "node:stream";
import type { Usage } from "./child-ipc.js";
import type { ServerProcess } from "./processes.js";

/** Clock ticks per second of /proc/<pid>/stat's CPU times. */
const ticksPerSecond = (() => {
  try {
    return Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/**
 * CPU time (user + system) and peak RSS of a process, from /proc; with
 * `reapedChildren`, plus the CPU time of the children it has waited for.
 */
/** SIGTERM, then SIGKILL after `graceMs`; resolves once the child exited. */
export function stopChild(child: ChildProcess, graceMs: number): Promise<void> {
  return new Promise<void>((done) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      done();
      return;
    }
    const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
    child.once("exit", () => {
      clearTimeout(timer);
      done();
    });
    child.kill("SIGTERM");
  });
}

export function procUsage(pid: number, reapedChildren = false): Usage {
  // Fields after the parenthesised command name: utime, stime, cutime and cstime are the 12th to 15th.
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  let ticks = Number(fields[11]) + Number(fields[12]);
  if (reapedChildren) ticks += Number(fields[13]) + Number(fields[14]);
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const hwm = /^VmHWM:\s+(\d+) kB/m.exec(status)?.[1];
  return { cpuMicros: (ticks * 1e6) / ticksPerSecond, maxRssKiB: Number(hwm ?? Number.NaN) };
}

/** Runs `binary args…` and resolves once it has printed its address. */
export async function startNative(
  name: string,
  binary: string,
  args: readonly string[],
): Promise<ServerProcess> {
  const child = spawn(binary, args, { stdio: ["ignore", "pipe", "inherit"] });
  const port = await announcedPort(child, name, /listening on [^\s]*:(\d+)/);
  const pid = child.pid as number;
  return {
    name,
    child,
    port,
    usage: async () => procUsage(pid),
    stop: () => stopChild(child, 5000),
  };
}

/**
 * The port a server child prints on stdout (the first match of `pattern`'s
 * group); rejects if the child exits or fails to spawn first. Its stdout keeps
 * being drained afterwards.
 */
export function announcedPort(
  child: ChildProcess & { stdout: Readable },
  name: string,
  pattern: RegExp,
): Promise<number> {
  return new Promise((resolve, reject) => {
    const failed = (code: number | null) =>
      reject(new Error(`${name} exited with code ${code} before it was ready`));
    child.once("exit", failed);
    child.once("error", reject);
    let out = "";
    const onData = (chunk: Buffer) => {
      out += chunk.toString("utf8");
      const port = pattern.exec(out)?.[1];
      if (port === undefined) return;
      child.stdout.off("data", onData);
      child.stdout.resume(); // keep draining anything it prints later
      child.off("exit", failed);
      resolve(Number(port));
    };
    child.stdout.on("data", onData);
  });
}
