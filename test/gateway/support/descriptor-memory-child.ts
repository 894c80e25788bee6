// Child of descriptor-memory.test.ts, one measurement per run, so the heap it
// measures holds nothing of the test runner's. Prints one JSON line.
// - `compact <set.binpb> <keep|drop>`: builds the services of a descriptor set
//   as serve does, then compacts their descriptors, keeping or dropping the
//   custom options; prints the heap used before and after (each after a full
//   GC) and whether every descriptor says the same after (and, keeping the
//   options, every descriptor proto's bytes).
// - `young`: grows V8's young generation as a build does, calls
//   collectGarbage, and prints the young generation's committed size before
//   and until it shrinks (or 15 s passed).
// - `reload <set.binpb>`: starts the gateway on the set in this process,
//   reloads it (SIGHUP's path) with a 200 ms grace period, and prints the
//   heap used before it started, once it runs, and until the retired
//   generation is collected (or 15 s passed).

import { writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { getHeapSpaceStatistics, setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { type DescFile, type DescMessage, toBinary } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import { loadConfig } from "../../../packages/gateway/src/config/load-config.js";
import { collectGarbage } from "../../../packages/gateway/src/lifecycle/collect-garbage.js";
import { startGateway } from "../../../packages/gateway/src/lifecycle/gateway.js";
import { compactDescriptors } from "../../../packages/gateway/src/services/compact-descriptors.js";
import { servicesFromDescriptorSet } from "../../../packages/gateway/src/services/descriptor-set.js";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

function heapUsed(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

/** Every name, number, kind and link of the descriptors, and with `bytes` every file's proto encoded. */
function describe(files: Iterable<DescFile>, bytes: boolean): string {
  const lines: string[] = [];
  const message = (m: DescMessage): void => {
    lines.push(`${m} ${m.fields.length} ${m.oneofs.length} ${m.members.length}`);
    for (const f of m.fields) {
      lines.push(
        `  ${f} ${f.number} ${f.localName} ${f.jsonName} ${f.fieldKind} ${f.message ?? f.enum ?? f.scalar} ${f.oneof ?? ""} ${String(f.fieldKind === "scalar" || f.fieldKind === "enum" ? f.getDefaultValue() : "")}`,
      );
    }
    for (const e of m.nestedEnums) lines.push(`  ${e} ${e.values.map((v) => v.localName)}`);
    for (const n of m.nestedMessages) message(n);
  };
  for (const file of files) {
    const proto = bytes ? toBinary(FileDescriptorProtoSchema, file.proto) : new Uint8Array();
    lines.push(`${file} ${Buffer.from(proto).toString("base64")}`);
    for (const e of file.enums) lines.push(`  ${e} ${e.values.map((v) => v.localName)}`);
    for (const m of file.messages) message(m);
    for (const s of file.services) {
      for (const m of s.methods)
        lines.push(`${m} ${m.localName} ${m.methodKind} ${m.input} ${m.output}`);
    }
  }
  return lines.join("\n");
}

function allFiles(roots: readonly DescFile[]): Set<DescFile> {
  const files = new Set<DescFile>();
  const add = (file: DescFile): void => {
    if (files.has(file)) return;
    files.add(file);
    for (const dependency of file.dependencies) add(dependency);
  };
  for (const root of roots) add(root);
  return files;
}

const [mode, set, options] = process.argv.slice(2);
if (mode === "compact") {
  let services = servicesFromDescriptorSet({ file: set! }, () => {});
  const descs = services.map((s) => s.routes.service);
  services = [];
  const files = allFiles(descs.map((s) => s.file));
  const dropCustomOptions = options === "drop";
  const described = describe(files, !dropCustomOptions);
  const before = heapUsed();
  compactDescriptors(descs, { dropCustomOptions });
  const after = heapUsed();
  process.stdout.write(
    `${JSON.stringify({ files: files.size, before, after, same: describe(files, !dropCustomOptions) === described })}\n`,
  );
} else if (mode === "young") {
  const young = () =>
    getHeapSpaceStatistics().find((s) => s.space_name === "new_space")!.physical_space_size;
  // Objects that live a little while, as a build's are: V8 grows the young
  // generation while many of them survive a scavenge.
  const ring: object[] = new Array(200_000);
  for (let i = 0; i < 6_000_000; i++) ring[i % ring.length] = { i, text: `entry ${i}` };
  ring.fill(undefined as never);
  const grown = young();
  const start = Date.now();
  collectGarbage();
  const timer = setInterval(() => {
    const now = young();
    if (now < grown / 4 || Date.now() - start > 15_000) {
      clearInterval(timer);
      process.stdout.write(`${JSON.stringify({ grown, now, afterMs: Date.now() - start })}\n`);
    }
  }, 250);
} else if (mode === "reload") {
  const config = join(dirname(set!), "gateway.yaml");
  writeFileSync(
    config,
    `server:
  listeners: [{ host: 127.0.0.1, port: 0 }]
backends:
  api: { target: "127.0.0.1:1" }
services:
  - { descriptorSet: ${set}, backend: api }
shutdown: { gracePeriodMs: 200 }
metrics: { enabled: false }
`,
  );
  const empty = heapUsed();
  const gateway = await startGateway(loadConfig(config), { log: () => {}, workerId: "1" });
  const running = heapUsed();
  await gateway.reload(loadConfig(config));
  const start = Date.now();
  let now = running;
  // The retired generation goes 200 ms after the reload; nothing says when it is collected.
  while (Date.now() - start < 15_000) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    now = process.memoryUsage().heapUsed;
    if (now < running + (running - empty) / 4) break;
  }
  process.stdout.write(`${JSON.stringify({ empty, running, now, afterMs: Date.now() - start })}\n`);
  await gateway.shutdown("done");
  process.exit(0);
} else {
  throw new Error(`unknown mode ${mode}`);
}
