import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import type * as grpc from "@grpc/grpc-js";
import { Mux, type MuxOptions } from "@ts-gateway/runtime";
import {
  type BackendEndpoint,
  type BalancerOptions,
  channelOptionsFor,
  createChannel,
  idempotentMethods,
} from "@ts-gateway/runtime/balancer";
import { type MountHealthOptions, mountHealth } from "@ts-gateway/runtime/health";
import { HaServiceClient, haServiceRoutes, registerHaService } from "../gen/ha/v1/ha_gateway.js";

/** A gateway node: the generated ha.v1 router on a mux, over one balanced channel. */
export interface HaGateway {
  readonly url: string;
  readonly channel: grpc.Channel;
  readonly mux: Mux;
  readonly server: Server;
  close(): Promise<void>;
}

/**
 * Starts a gateway on 127.0.0.1: `createChannel(target, { retry: idempotent
 * methods of ha.v1.HaService, ...balancer })`, the generated client over it, the
 * generated routes and the health endpoints on one mux.
 */
export async function startHaGateway(
  target: string | readonly BackendEndpoint[],
  balancer: BalancerOptions = {},
  options: { mux?: MuxOptions; health?: Omit<MountHealthOptions, "channel"> } = {},
): Promise<HaGateway> {
  const channel = createChannel(target, {
    name: "ha",
    retry: { methods: idempotentMethods(haServiceRoutes), initialBackoffMs: 20 },
    ...balancer,
  });
  const client = HaServiceClient.fromChannel(channel, channelOptionsFor(channel));
  const mux = new Mux(options.mux);
  registerHaService(mux, client);
  mountHealth(mux, { channel, ...options.health });
  const server = createServer(mux.handler);
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    channel,
    mux,
    server,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      channel.close();
    },
  };
}

/** GETs `url` and returns the replica id of the JSON answer, or throws with the status and body. */
export async function whoAnswered(url: string): Promise<string> {
  const res = await fetch(url);
  const text = await res.text();
  if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${text}`);
  return (JSON.parse(text) as { id: string }).id;
}

/** A bounded steady HTTP load: `workers` concurrent loops of GETs, at most `total` requests. */
export interface HttpLoad {
  /** Replica ids of the successful answers, in arrival order. */
  readonly ids: string[];
  /** Failed requests (status or network error). */
  readonly failures: string[];
  count(id: string): number;
  /** Resolves when all `total` requests were answered. */
  readonly finished: Promise<void>;
  /** Stops the loops and waits for the requests in flight. */
  stop(): Promise<void>;
}

export function startHttpLoad(
  url: string,
  options: { workers?: number; total?: number; pauseMs?: number } = {},
): HttpLoad {
  const ids: string[] = [];
  const failures: string[] = [];
  const total = options.total ?? 5000;
  let started = 0;
  let stopped = false;
  const finished = Promise.all(
    Array.from({ length: options.workers ?? 4 }, async () => {
      while (!stopped && started < total) {
        started++;
        try {
          ids.push(await whoAnswered(url));
        } catch (error) {
          failures.push((error as Error).message);
        }
        await new Promise((r) => setTimeout(r, options.pauseMs ?? 2));
      }
    }),
  ).then(() => undefined);
  return {
    ids,
    failures,
    finished,
    count: (id) => ids.reduce((n, x) => (x === id ? n + 1 : n), 0),
    async stop() {
      stopped = true;
      await finished;
    },
  };
}

/** Counts answers per replica id. */
export function tally(ids: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const id of ids) counts.set(id, (counts.get(id) ?? 0) + 1);
  return counts;
}

const backendEntry = fileURLToPath(new URL("./ha-backend-process.ts", import.meta.url));

/** An ha.v1 replica in its own process, so it can be SIGKILLed. */
export interface HaProcess {
  readonly id: string;
  readonly port: number;
  readonly address: string;
  readonly child: ChildProcess;
  /** SIGKILL (default) or SIGTERM (graceful), and wait for the exit. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** Spawns a replica (env: see ha-backend-process.ts) and waits for its READY line. */
export async function spawnHaBackend(
  id: string,
  options: { port?: number; env?: Record<string, string>; timeoutMs?: number } = {},
): Promise<HaProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", backendEntry], {
    env: {
      ...process.env,
      BACKEND_ID: id,
      BACKEND_PORT: String(options.port ?? 0),
      ...options.env,
    },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const exited = once(child, "exit");
  const port = await readyPort(child, id, options.timeoutMs ?? 20_000);
  return {
    id,
    port,
    address: `127.0.0.1:${port}`,
    child,
    async stop(signal = "SIGKILL") {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill(signal);
        await exited;
      }
    },
  };
}

/** Resolves with the port a child prints as `READY <port>`; kills it if that takes too long. */
export function readyPort(child: ChildProcess, name: string, timeoutMs: number): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${name} did not start in ${timeoutMs} ms`));
    }, timeoutMs);
    let out = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const match = /READY (\d+)/.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited early with ${code}`));
    });
  });
}
