/**
 * Starts the benchmark's server processes (the backend and the rows) with an
 * IPC channel, and asks them for their CPU time and peak RSS.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import type { ChildMessage, Usage } from "./child-ipc.js";

/** A running server process. */
export interface ServerProcess {
  readonly name: string;
  readonly child: ChildProcess;
  readonly port: number;
  /** The process's own CPU time and peak RSS so far. */
  usage(): Promise<Usage>;
  stop(): Promise<void>;
}

/**
 * Starts `bench/<script>` under tsx, waits for its "ready" message. With
 * `profileDir`, runs it under `node --cpu-prof` (the profile is written when
 * it exits).
 */
export function startProcess(
  name: string,
  script: string,
  args: readonly string[],
  env: Record<string, string>,
  profileDir?: string,
): Promise<ServerProcess> {
  const nodeArgs = ["--import", "tsx"];
  if (profileDir !== undefined) nodeArgs.push("--cpu-prof", `--cpu-prof-dir=${profileDir}`);
  const child = spawn(process.execPath, [...nodeArgs, join(import.meta.dirname, script), ...args], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const waiters: Array<(u: Usage) => void> = [];
  return new Promise((resolve, reject) => {
    const failed = (code: number | null) =>
      reject(new Error(`${name} exited with code ${code} before it was ready`));
    child.once("exit", failed);
    child.on("message", (message: ChildMessage) => {
      if (message.type === "usage") waiters.shift()?.(message);
      else if (message.type === "ready") {
        child.off("exit", failed);
        resolve({
          name,
          child,
          port: message.port,
          usage: () =>
            new Promise<Usage>((done) => {
              waiters.push(done);
              child.send("usage");
            }),
          stop: () =>
            new Promise<void>((done) => {
              if (child.exitCode !== null || child.signalCode !== null) {
                done();
                return;
              }
              const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
              child.once("exit", () => {
                clearTimeout(timer);
                done();
              });
              child.disconnect();
            }),
        });
      }
    });
  });
}
