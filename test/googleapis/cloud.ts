// All of Google Cloud through the plugin and the gateway, measured
// (`npm run measure:google-cloud`; not in CI: several minutes). Every
// google/cloud proto file of google-proto-files with a google.api.http rule,
// built by buf into one descriptor set (with source info), then:
// - protoc-gen-ts-gateway over all of it in one run (buf's `strategy: all`),
//   `on_invalid_rule=skip,openapi=true`, as protoc runs it: wall, CPU, peak RSS;
// - `ts-gateway check` of a gateway.yaml serving the whole set: wall, CPU, peak RSS;
// - `ts-gateway serve` of it: time to listening, RSS 1, 10 and 20 s later
//   (the gateway shrinks V8's young generation once it has been idle 6 s),
//   after 200 requests, and the peak.
// Prints one line per figure and the machine's load before and after.
import { readFileSync } from "node:fs";
import { readdir, readFile, writeFile } from "node:fs/promises";
import { loadavg } from "node:os";
import { join } from "node:path";
import { fromBinary } from "@bufbuild/protobuf";
import { FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import { gatewayBin, startChild, stopAll } from "../gateway/support/processes.js";
import { freePort, sleep } from "../support/wait.js";
import { googleProtoFiles, googleWorkspace, repoRoot, run, runPlugin } from "./support.js";

const pluginBin = join(repoRoot, "packages/protoc-gen-ts-gateway/bin/protoc-gen-ts-gateway");

function line(text: string): void {
  process.stdout.write(`${text}\n`);
}

function load(): string {
  return loadavg()
    .map((l) => l.toFixed(2))
    .join(" ");
}

/** Wall, CPU (user + system) and peak RSS of a command, from GNU time. */
async function timed(
  command: string,
  args: string[],
  cwd: string,
): Promise<{ code: number; stdout: string; stderr: string; figures: string }> {
  const result = await run("/usr/bin/time", ["-f", "TIME %e %U %S %M", command, ...args], cwd);
  const match = /TIME ([\d.]+) ([\d.]+) ([\d.]+) (\d+)\s*$/.exec(result.stderr);
  const figures =
    match === null
      ? "(no figures)"
      : `${match[1]} s wall, ${(Number(match[2]) + Number(match[3])).toFixed(1)} s CPU, peak RSS ${Math.round(Number(match[4]) / 1024)} MB`;
  return { ...result, figures };
}

async function annotatedCloudFiles(): Promise<string[]> {
  const root = join(googleProtoFiles, "google/cloud");
  const files: string[] = [];
  for (const entry of await readdir(root, { recursive: true })) {
    if (!entry.endsWith(".proto")) continue;
    if ((await readFile(join(root, entry), "utf8")).includes("(google.api.http)")) {
      files.push(`google/cloud/${entry}`);
    }
  }
  return files.sort();
}

function status(pid: number): { rss: number; hwm: number } {
  const text = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (key: string) => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(text)?.[1] ?? 0);
  return { rss: Math.round(kb("VmRSS") / 1024), hwm: Math.round(kb("VmHWM") / 1024) };
}

async function serve(config: string, port: number): Promise<void> {
  const started = Date.now();
  const child = startChild(process.execPath, [gatewayBin, "serve", config]);
  try {
    await child.waitFor(/^listening /m, 300_000);
    const ready = (Date.now() - started) / 1000;
    await sleep(1000);
    const first = status(child.pid);
    await sleep(9000);
    const rest = status(child.pid);
    await sleep(10_000);
    const later = status(child.pid);
    const paths = [
      "/v1/projects/p/secrets/s",
      "/v1/projects/p/locations/l/keyRings/k",
      "/compute/v1/projects/p/zones/z/instances/i",
      "/v1/projects/p/locations/l/endpoints/e",
      "/nothing/here",
    ];
    const statuses = new Map<number, number>();
    for (let i = 0; i < 200; i++) {
      const res = await fetch(`http://127.0.0.1:${port}${paths[i % paths.length]}`, {
        signal: AbortSignal.timeout(10_000),
      });
      await res.arrayBuffer();
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
    }
    await sleep(2000);
    const after = status(child.pid);
    line(
      `serve: listening after ${ready.toFixed(1)} s; RSS ${first.rss} MB 1 s later, ${rest.rss} MB 10 s later, ${later.rss} MB 20 s later`,
    );
    line(
      `serve: RSS ${after.rss} MB after 200 requests (${[...statuses].map(([s, n]) => `${n}×${s}`).join(", ")}; no backend runs); peak RSS ${after.hwm} MB`,
    );
  } finally {
    await stopAll();
  }
}

const ws = await googleWorkspace();
try {
  line(`load average at start: ${load()}`);
  const files = await annotatedCloudFiles();
  const set = join(ws.dir, "cloud.binpb");
  let start = Date.now();
  const built = await run(
    "buf",
    ["build", ".", ...files.flatMap((f) => ["--path", f]), "-o", set],
    ws.dir,
  );
  if (built.code !== 0) throw new Error(built.stderr);
  const protoFile = fromBinary(FileDescriptorSetSchema, await readFile(set)).file;
  line(
    `buf build: ${files.length} annotated google/cloud files, ${protoFile.length} with imports, ${((Date.now() - start) / 1000).toFixed(1)} s`,
  );

  // The plugin, once over everything, as buf's strategy: all runs it.
  start = Date.now();
  const wrapped = join(ws.dir, "plugin.sh");
  await writeFile(
    wrapped,
    `#!/bin/sh\nexec /usr/bin/time -f "TIME %e %U %S %M" ${process.execPath} ${pluginBin}\n`,
    { mode: 0o755 },
  );
  const plugin = await runPlugin(
    wrapped,
    protoFile,
    files,
    "target=ts,import_extension=js,on_invalid_rule=skip,openapi=true",
    900_000,
  );
  if (plugin.code !== 0) throw new Error(plugin.stderr.slice(-2000));
  const m = /TIME ([\d.]+) ([\d.]+) ([\d.]+) (\d+)\s*$/.exec(plugin.stderr);
  const generated = plugin.response?.file ?? [];
  const routes = generated
    .filter((f) => f.name.endsWith("_gateway.ts"))
    .reduce(
      (n, f) => n + f.content.split("\n").filter((l) => l.startsWith("    route(")).length,
      0,
    );
  const skipped = plugin.stderr.split("\n").filter((l) => l.includes("warning: skipped")).length;
  line(
    `plugin (strategy all, on_invalid_rule=skip, openapi=true): ${m?.[1]} s wall, ${(Number(m?.[2]) + Number(m?.[3])).toFixed(1)} s CPU, peak RSS ${Math.round(Number(m?.[4]) / 1024)} MB; ${generated.length} files, ${routes} routes, ${skipped} rules skipped`,
  );

  // The gateway: one services entry serving the whole set.
  const port = await freePort();
  const config = join(ws.dir, "gateway.yaml");
  await writeFile(
    config,
    `server:
  listeners:
    - host: 127.0.0.1
      port: ${port}
backends:
  cloud:
    target: 127.0.0.1:1
services:
  - descriptorSet: cloud.binpb
    backend: cloud
onInvalidRule: skip
`,
  );
  const check = await timed(process.execPath, [gatewayBin, "check", config], ws.dir);
  if (check.code !== 0) throw new Error(check.stderr.slice(-2000));
  const ok = /ok, (\d+) routes/.exec(check.stdout)?.[1];
  const checkSkipped = check.stderr
    .split("\n")
    .filter((l) => l.includes("warning: skipped")).length;
  line(`ts-gateway check: ${check.figures}; ${ok} routes, ${checkSkipped} rules skipped`);
  await serve(config, port);
  line(`load average at end: ${load()}`);
} finally {
  await ws.dispose();
}
