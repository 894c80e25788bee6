/**
 * `npm run chaos` (not part of `npm test`): the long checks of issue 10, each
 * bounded and self-stopping, printing its numbers and exiting 1 on a failure.
 *
 * 1. Soak: 300k+ requests (GET/PATCH mix) against the example as a child
 *    process; its RSS after the run is within ±5% of its RSS after warm-up.
 * 2. Backends killed under load: a gateway process over three ha.v1 backend
 *    processes; two are SIGKILLed during a GET load; no request fails.
 * 2b. A replica killed and restarted under load (issue 21, item 12): wrk with
 *    32 connections over four GET routes of a gateway with the balancer's
 *    defaults; one of three replicas is SIGKILLed at 8 s and restarted at 15 s.
 *    No request fails, the three share evenly before the kill, and the
 *    restarted one has its share again within a second of listening.
 * 3. Drain behind a real nginx with mixed GET/POST load: the nginx test
 *    (test/backends/nginx-gateways.test.ts): no failed GET, POSTs only at the listener close.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import autocannon from "autocannon";
import { startExample } from "../support/example-process.js";
import { readyPort } from "../support/ha-gateway.js";
import { freePort } from "../support/wait.js";

const failures: string[] = [];
const children: ChildProcess[] = [];

function rssKiB(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return Number(match?.[1] ?? 0);
}

async function soak(): Promise<void> {
  const gw = await startExample();
  try {
    const created = await fetch(`${gw.url}/v1/shelves`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: '{"theme":"Soak"}',
    });
    await created.text();
    const book = await fetch(`${gw.url}/v1/shelves/1/books`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: '{"title":"Dune","author":"Frank Herbert"}',
    });
    await book.text();
    const round = async (seconds: number) => {
      const [get, post] = await Promise.all([
        autocannon({ url: `${gw.url}/v1/shelves/1`, connections: 16, duration: seconds }),
        autocannon({
          // A write that does not grow the in-memory library (growth would be data, not a leak).
          url: `${gw.url}/v1/shelves/1/books/1`,
          method: "PATCH",
          connections: 8,
          duration: seconds,
          body: '{"read":true}',
          headers: { "content-type": "application/json" },
        }),
      ]);
      return {
        requests: get.requests.total + post.requests.total,
        errors: get.non2xx + get.errors + get.timeouts + post.non2xx + post.errors + post.timeouts,
      };
    };
    // Warm-up: V8's heap and the JIT settle over the first rounds; RSS is compared from there.
    let total = 0;
    let errors = 0;
    for (let i = 0; i < 3; i++) {
      const r = await round(10);
      total += r.requests;
      errors += r.errors;
    }
    const rssAfterWarmup = rssKiB(gw.pid);
    const series = [rssAfterWarmup];
    const started = Date.now();
    while (total < 300_000 && Date.now() - started < 300_000) {
      const r = await round(10);
      total += r.requests;
      errors += r.errors;
      series.push(rssKiB(gw.pid));
    }
    console.log(`soak: RSS every 10 s (KiB): ${series.join(" ")}`);
    const rssEnd = rssKiB(gw.pid);
    const drift = (rssEnd - rssAfterWarmup) / rssAfterWarmup;
    console.log(
      `soak: ${total} requests, ${errors} errors, RSS ${rssAfterWarmup} KiB after warm-up → ${rssEnd} KiB (${(drift * 100).toFixed(1)}%), fds ${gw.fds()}`,
    );
    if (total < 300_000) failures.push(`soak: only ${total} requests`);
    if (errors > 0) failures.push(`soak: ${errors} errors`);
    if (Math.abs(drift) > 0.05) failures.push(`soak: RSS drifted ${(drift * 100).toFixed(1)}%`);
    if (!gw.alive()) failures.push("soak: gateway died");
  } finally {
    await gw.kill();
  }
}

function spawnEntry(entry: string, env: Record<string, string>): ChildProcess {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", fileURLToPath(new URL(entry, import.meta.url))],
    { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "inherit"] },
  );
  children.push(child);
  return child;
}

async function killedBackends(): Promise<void> {
  const backends = await Promise.all(
    ["b1", "b2", "b3"].map(async (id) => {
      const child = spawnEntry("../support/ha-backend-process.ts", { BACKEND_ID: id });
      return { child, port: await readyPort(child, id, 60_000) };
    }),
  );
  const gateway = spawnEntry("../support/ha-gateway-process.ts", {
    GATEWAY_ID: "chaos",
    BACKENDS: backends.map((b) => `127.0.0.1:${b.port}`).join(","),
  });
  const port = await readyPort(gateway, "gateway", 60_000);
  const load = autocannon({
    url: `http://127.0.0.1:${port}/v1/whoami`,
    connections: 16,
    duration: 20,
  });
  for (const victim of backends.slice(0, 2)) {
    await new Promise((resolve) => setTimeout(resolve, 5000));
    victim.child.kill("SIGKILL");
  }
  const result = await load;
  const errors = result.non2xx + result.errors + result.timeouts;
  console.log(`backends killed under load: ${result.requests.total} requests, ${errors} failed`);
  if (errors > 0) failures.push(`killed backends: ${errors} failed requests`);
}

/** Answers per second (relative to `t0`, epoch seconds) and replica id, from the wrk script's lines. */
function perSecond(out: string, t0: number): Map<number, Map<string, number>> {
  const seconds = new Map<number, Map<string, number>>();
  for (const match of out.matchAll(/^C (\d+) (\S+) (\d+)$/gm)) {
    const second = Number(match[1]) - t0;
    const row = seconds.get(second) ?? new Map<string, number>();
    row.set(match[2] as string, (row.get(match[2] as string) ?? 0) + Number(match[3]));
    seconds.set(second, row);
  }
  return seconds;
}

async function replicaRestarted(): Promise<void> {
  const start = async (id: string, env: Record<string, string> = {}) => {
    const child = spawnEntry("../support/ha-backend-process.ts", { BACKEND_ID: id, ...env });
    return { child, port: await readyPort(child, id, 60_000) };
  };
  const victimPort = await freePort();
  const backends = await Promise.all([
    start("b1", { BACKEND_PORT: String(victimPort) }),
    start("b2"),
    start("b3"),
  ]);
  // The replacement loads now, and binds the victim's port when told (SIGUSR2): at 15 s.
  const replacement = spawnEntry("../support/ha-backend-process.ts", {
    BACKEND_ID: "b1",
    BACKEND_PORT: String(victimPort),
    BIND_ON_SIGNAL: "1",
  });
  await new Promise<void>((resolve, reject) => {
    let text = "";
    const timer = setTimeout(() => reject(new Error("the replacement did not load")), 60_000);
    replacement.stdout?.on("data", (c: Buffer) => {
      text += c.toString();
      if (text.includes("LOADED")) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  const listening = readyPort(replacement, "b1 again", 120_000);
  const gateway = spawnEntry("../support/ha-gateway-process.ts", {
    GATEWAY_ID: "chaos",
    HEALTH_INTERVAL_MS: "1000",
    BACKENDS: backends.map((b) => `127.0.0.1:${b.port}`).join(","),
  });
  const port = await readyPort(gateway, "gateway", 60_000);
  const t0 = Date.now() / 1000;
  const wrk = spawn(
    "wrk",
    [
      "-t2",
      "-c32",
      "-d25s",
      "-s",
      fileURLToPath(new URL("./replica-tally.lua", import.meta.url)),
      `http://127.0.0.1:${port}`,
    ],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  children.push(wrk);
  let out = "";
  wrk.stdout?.on("data", (c: Buffer) => {
    out += c.toString();
  });
  const finished = once(wrk, "exit");
  await new Promise((resolve) => setTimeout(resolve, 8000));
  (backends[0] as { child: ChildProcess }).child.kill("SIGKILL");
  await new Promise((resolve) => setTimeout(resolve, 7000));
  replacement.kill("SIGUSR2");
  await listening;
  const back = Date.now() / 1000 - t0;
  await finished;
  const seconds = perSecond(out, Math.floor(t0));
  const rows = [...seconds.entries()].sort((a, b) => a[0] - b[0]);
  let failed = 0;
  for (const [second, row] of rows) {
    for (const [id, n] of row) if (id.startsWith("fail")) failed += n;
    console.log(`replica restart: ${second} s ${JSON.stringify(Object.fromEntries(row))}`);
  }
  const share = (from: number, to: number) => {
    let mine = 0;
    let all = 0;
    for (const [second, row] of rows) {
      if (second < from || second >= to) continue;
      for (const [id, n] of row) {
        all += n;
        if (id === "b1") mine += n;
      }
    }
    return all === 0 ? 0 : mine / all;
  };
  const before = share(2, 8);
  const after = share(Math.ceil(back) + 1, Math.ceil(back) + 4);
  console.log(
    `replica restart: ${failed} failed, b1's share ${(before * 100).toFixed(0)}% before the kill, ${(after * 100).toFixed(0)}% from 1 s after it listened again (${back.toFixed(1)} s)`,
  );
  if (failed > 0) failures.push(`replica restart: ${failed} failed requests`);
  if (before < 0.25)
    failures.push(`replica restart: b1 had ${before} of the calls before the kill`);
  if (after < 0.25)
    failures.push(`replica restart: b1 had ${after} of the calls after its restart`);
}

async function drainBehindNginx(): Promise<void> {
  const test = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      "--test",
      fileURLToPath(new URL("../backends/nginx-gateways.test.ts", import.meta.url)),
    ],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  children.push(test);
  let out = "";
  test.stdout?.on("data", (c: Buffer) => {
    out += c.toString();
  });
  const [code] = (await once(test, "exit")) as [number | null];
  const pass = /# pass (\d+)/.exec(out)?.[1];
  console.log(`drain behind nginx (mixed GET/POST): exit ${code}, ${pass ?? 0} passed`);
  if (code !== 0) failures.push(`drain behind nginx failed:\n${out.slice(-2000)}`);
}

const bound = setTimeout(() => {
  failures.push("chaos: overall time bound (15 min) reached");
  finish();
}, 15 * 60_000);

function finish(): void {
  clearTimeout(bound);
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined)
      process.kill(child.pid, "SIGKILL");
  }
  if (failures.length > 0) console.error(`chaos: FAILED\n${failures.join("\n")}`);
  else console.log("chaos: all passed");
  process.exit(failures.length > 0 ? 1 : 0);
}

const only = process.env.CHAOS_ONLY; // soak | backends | replica | nginx
try {
  if (only === undefined || only === "soak") await soak();
  if (only === undefined || only === "backends") await killedBackends();
  if (only === undefined || only === "replica") await replicaRestarted();
  if (only === undefined || only === "nginx") await drainBehindNginx();
} catch (error) {
  failures.push(`chaos: ${(error as Error).stack}`);
}
finish();
