// A real redis-server (Debian's) on a free loopback port, for the shared
// rate-limit tests: started, stopped and restarted by PID.
import { type ChildProcess, spawn } from "node:child_process";
import { tool } from "../support/tools.js";

/** Why the Redis tests are skipped, or false; throws with the install line when redis-server is missing. */
export const redis = tool("redis-server");

export class RedisServer {
  #child: ChildProcess | undefined;
  constructor(readonly port: number) {}

  /** Starts redis-server (no persistence) and waits until it accepts connections. */
  async start(): Promise<void> {
    const child = spawn(
      redis.bin!,
      ["--port", String(this.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    this.#child = child;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("redis-server did not start")), 10_000);
      let out = "";
      child.stdout?.on("data", (chunk: Buffer) => {
        out += chunk;
        if (out.includes("Ready to accept connections")) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`redis-server exited with ${code}: ${out}`));
      });
    });
    child.stdout?.resume();
  }

  /** Stops it (SIGKILL: Redis vanishes as in a crash) and waits for the exit. */
  async stop(): Promise<void> {
    const child = this.#child;
    this.#child = undefined;
    if (child === undefined || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGKILL");
    await exited;
  }
}
