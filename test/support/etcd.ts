import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { tool } from "./tools.js";
import { freePort } from "./wait.js";

/** A throwaway etcd server on loopback. */
export interface EtcdServer {
  /** Client URL, e.g. `http://127.0.0.1:23790`. */
  readonly url: string;
  /** `host:port` of the client endpoint. */
  readonly hostPort: string;
  stop(): Promise<void>;
}

/**
 * Why the etcd tests are skipped (`TS_GATEWAY_SKIP=etcd`), or false; throws
 * with the install line when etcd is missing and not skipped.
 */
export function skipEtcd(): string | false {
  return tool("etcd").skip;
}

function etcdBinary(): string {
  const { bin } = tool("etcd");
  if (bin === undefined) throw new Error("etcd is skipped (TS_GATEWAY_SKIP=etcd)");
  return bin;
}

/** Starts `etcd` with a temp data dir on free loopback ports; resolves once it answers /health. */
export async function startEtcd(timeoutMs = 20_000): Promise<EtcdServer> {
  const binary = etcdBinary();
  const [clientPort, peerPort] = [await freePort(), await freePort()];
  const dir = mkdtempSync(join(tmpdir(), "ts-gateway-etcd-"));
  const url = `http://127.0.0.1:${clientPort}`;
  const peer = `http://127.0.0.1:${peerPort}`;
  const child: ChildProcess = spawn(
    binary,
    [
      "--name",
      "test",
      "--data-dir",
      dir,
      "--listen-client-urls",
      url,
      "--advertise-client-urls",
      url,
      "--listen-peer-urls",
      peer,
      "--initial-advertise-peer-urls",
      peer,
      "--initial-cluster",
      `test=${peer}`,
      "--log-level",
      "error",
    ],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const exited = once(child, "exit");
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGKILL");
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (child.exitCode !== null) break;
    try {
      const response = await fetch(`${url}/health`);
      if (response.ok) return { url, hostPort: `127.0.0.1:${clientPort}`, stop };
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  await stop();
  throw new Error(`etcd did not become healthy within ${timeoutMs} ms: ${stderr}`);
}
