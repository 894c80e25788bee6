/**
 * The example (examples/library/src/main.ts: gRPC backend and REST gateway,
 * `npm start`) as a child process, watched from outside as an attacker
 * would see it: is it alive, does it answer, how many fds does it hold, is
 * its `Object.prototype` clean. The child installs no `uncaughtException`
 * handler; a preload (prototype-probe.ts) only answers SIGUSR2.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";

const main = fileURLToPath(new URL("../../examples/library/src/main.ts", import.meta.url));
const probe = fileURLToPath(new URL("./prototype-probe.ts", import.meta.url));

export interface ExampleProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly port: number;
  readonly url: string;
  /** Everything the child wrote to stdout and stderr so far. */
  output(): string;
  alive(): boolean;
  /** Open file descriptors of the child (/proc/<pid>/fd). */
  fds(): number;
  /** The own property names of the child's `Object.prototype`, sorted. */
  prototypeKeys(): Promise<string[]>;
  /** Resolves with the exit code or signal once the child exited (bounded by `timeoutMs`). */
  exited(timeoutMs: number): Promise<number | string | undefined>;
  /** SIGKILL, then waits for the exit. */
  kill(): Promise<void>;
}

const MAX_OUTPUT = 8 * 1024 * 1024;

/** Starts the example on free ports; `env` sets its limits (HEADERS_TIMEOUT_MS, …). */
export async function startExample(env: Record<string, string> = {}): Promise<ExampleProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", "--import", probe, main], {
    env: { ...process.env, PORT: "0", GRPC_PORT: "0", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error("example did not spawn");
  // The child logs one JSON line per call; a soak writes hundreds of MB. Only
  // the newest MAX_OUTPUT characters are kept (tests look at recent lines).
  let out = "";
  const append = (chunk: Buffer) => {
    out += chunk.toString();
    if (out.length > MAX_OUTPUT) out = out.slice(out.length - MAX_OUTPUT / 2);
  };
  child.stdout?.on("data", append);
  child.stderr?.on("data", append);
  const exit = once(child, "exit").then(([code, signal]) => (code ?? signal) as number | string);
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`example did not start in time:\n${out}`));
    }, 20_000);
    // Removed once the port is known: scanning the whole output on every
    // chunk made a soak's load generator (this process) quadratic.
    const check = () => {
      const match = /REST gateway {2}http:\/\/[^:]+:(\d+)/.exec(out);
      if (match) {
        child.stdout?.off("data", check);
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    };
    child.stdout?.on("data", check);
    void exit.then((code) => {
      clearTimeout(timer);
      reject(new Error(`example exited early (${code}):\n${out}`));
    });
  });
  const alive = () => child.exitCode === null && child.signalCode === null;
  return {
    child,
    pid,
    port,
    url: `http://127.0.0.1:${port}`,
    output: () => out,
    alive,
    fds: () => readdirSync(`/proc/${pid}/fd`).length,
    async prototypeKeys() {
      const start = out.length;
      child.kill("SIGUSR2");
      const deadline = Date.now() + 5000;
      for (;;) {
        const match = /PROTO (\[.*\])\n/.exec(out.slice(start));
        if (match?.[1] !== undefined) return JSON.parse(match[1]) as string[];
        if (Date.now() > deadline || !alive()) throw new Error("no prototype probe answer");
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    async exited(timeoutMs) {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<undefined>((resolve) => {
        timer = setTimeout(() => resolve(undefined), timeoutMs);
      });
      const result = await Promise.race([exit, late]);
      clearTimeout(timer);
      return result;
    },
    async kill() {
      if (alive()) {
        process.kill(pid, "SIGKILL");
        await exit;
      }
    },
  };
}
