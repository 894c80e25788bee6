import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";

const entry = fileURLToPath(new URL("./backend-process.ts", import.meta.url));

/** A whoami backend running in its own process, so tests can kill it outright. */
export interface BackendProcess {
  readonly id: string;
  readonly port: number;
  readonly address: string;
  readonly child: ChildProcess;
  /** Sends SIGKILL and waits for the exit. */
  kill(): Promise<void>;
}

/** Spawns a backend process and waits until it prints READY (bounded by `timeoutMs`). */
export async function spawnBackend(
  id: string,
  options: { port?: number; env?: Record<string, string>; timeoutMs?: number } = {},
): Promise<BackendProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", entry], {
    env: {
      ...process.env,
      BACKEND_ID: id,
      BACKEND_PORT: String(options.port ?? 0),
      ...options.env,
    },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const exited = once(child, "exit");
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`backend ${id} did not start in time`));
    }, options.timeoutMs ?? 15_000);
    let out = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const match = /READY (\d+)/.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`backend ${id} exited early with ${code}`));
    });
  });
  return {
    id,
    port,
    address: `127.0.0.1:${port}`,
    child,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGKILL");
        await exited;
      }
    },
  };
}
