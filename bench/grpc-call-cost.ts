/**
 * The client side of one unary call through grpc-js, per set of channel
 * options: `node --import tsx bench/grpc-call-cost.ts [rounds] [calls] [variants]`
 * (variants: a comma list of indexes into the table below, e.g. for profiling one). Starts the
 * bench backend (Go's when built, see bench/setup.sh), then in interleaved
 * rounds drives the generated client with each variant (32 calls in flight,
 * small GetItem) and reports this process's CPU µs per call and calls/s, as
 * medians and as per-round ratios to grpc-js's own defaults. It isolates what
 * the gateway's channel defaults (packages/runtime/src/grpc-channel-defaults.ts)
 * save, which the HTTP rows only show through the noise of a shared machine.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { type ClientOptions, credentials } from "@grpc/grpc-js";
import { BenchServiceClient } from "./gen/bench/v1/bench_gateway.js";
import { startNative } from "./native-process.js";
import { startProcess } from "./processes.js";
import { fmt, markdownTable, median } from "./stats.js";

const rounds = Number(process.argv[2] ?? 10);
const callsPerRound = Number(process.argv[3] ?? 4000);
const inFlight = 32;

/** Passes calls through unchanged, but makes GrpcClient take the `grpc.Client` path. */
const viaClient = { callInvocationTransformer: <T>(p: T) => p };

/** Variants: the user's options given to the generated client (over the gateway's defaults). */
const allVariants: Record<string, ClientOptions> = {
  "grpc-js defaults, via grpc.Client": { "grpc.enable_channelz": 1, ...viaClient },
  // The same options on a second client: how far apart two equal variants land (the noise).
  "the same, again": { "grpc.enable_channelz": 1, ...viaClient },
  "channelz off, via grpc.Client": { ...viaClient },
  "channelz off, direct (the gateway's default)": {},
  "+ retries off": { "grpc.enable_retries": 0 },
};

const picked = process.argv[4]?.split(",").map(Number);
const variants = Object.fromEntries(
  Object.entries(allVariants).filter((_, i) => picked?.includes(i) ?? true),
);

const goBackend = join(import.meta.dirname, "out", "go", "backend");
const backend = existsSync(goBackend)
  ? await startNative("backend", goBackend, ["-listen", "127.0.0.1:0"])
  : await startProcess("backend", "backend.ts", [], {});
try {
  const address = `127.0.0.1:${backend.port}`;
  const clients = Object.entries(variants).map(
    ([name, options]) =>
      [name, new BenchServiceClient(address, credentials.createInsecure(), options)] as const,
  );

  async function drive(client: BenchServiceClient, calls: number): Promise<void> {
    let next = 0;
    const worker = async () => {
      while (next++ < calls) await client.getItem({ id: "42" });
    };
    await Promise.all(Array.from({ length: inFlight }, worker));
  }

  for (const [, client] of clients) await drive(client, callsPerRound); // warm up
  const cpu = new Map<string, number[]>();
  const rate = new Map<string, number[]>();
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? clients : [...clients].reverse();
    for (const [name, client] of order) {
      const start = process.cpuUsage();
      const t0 = performance.now();
      await drive(client, callsPerRound);
      const seconds = (performance.now() - t0) / 1000;
      const used = process.cpuUsage(start);
      cpu.set(name, [...(cpu.get(name) ?? []), (used.user + used.system) / callsPerRound]);
      rate.set(name, [...(rate.get(name) ?? []), callsPerRound / seconds]);
    }
  }
  const base = Object.keys(variants)[0] as string;
  const perRound = (of: Map<string, number[]>, name: string) =>
    median((of.get(name) ?? []).map((v, i) => v / ((of.get(base) ?? [])[i] as number)));
  console.log(
    `${rounds} interleaved rounds of ${callsPerRound} GetItem calls, ${inFlight} in flight, ` +
      `${existsSync(goBackend) ? "grpc-go" : "grpc-js"} backend; medians\n`,
  );
  console.log(
    markdownTable(
      ["variant", "options", "CPU µs/call", "calls/s", "CPU ratio", "calls/s ratio"],
      Object.entries(variants).map(([name, options]) => [
        name,
        JSON.stringify(options, (_k, v) => (typeof v === "function" ? "(identity)" : v)),
        fmt(median(cpu.get(name) ?? []), 1),
        fmt(median(rate.get(name) ?? [])),
        fmt(perRound(cpu, name), 3),
        fmt(perRound(rate, name), 3),
      ]),
    ),
  );
  for (const [, client] of clients) client.transport.close();
} finally {
  await backend.stop();
}
