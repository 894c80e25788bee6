/**
 * Summarizes a `.cpuprofile` (from `BENCH_PROFILE=<row> npm run bench`): the
 * functions with the most self time, and the files with the most total self
 * time, as shares of the busy (non-idle) time: a row's profile spans the whole
 * run, most of it idle while the other rows are measured.
 * Usage: `node --import tsx bench/profile-summary.ts <file> [top]`.
 */
import { readFileSync } from "node:fs";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const [file, topArg] = process.argv.slice(2);
if (file === undefined) throw new Error("usage: profile-summary.ts <file.cpuprofile> [top]");
const profile = JSON.parse(readFileSync(file, "utf8")) as Profile;
const top = Number(topArg ?? 30);
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const selfMicros = new Map<number, number>();
profile.samples.forEach((id, i) => {
  selfMicros.set(id, (selfMicros.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
});
const byFunction = new Map<string, number>();
const byFile = new Map<string, number>();
let total = 0;
for (const [id, micros] of selfMicros) {
  const frame = (byId.get(id) as ProfileNode).callFrame;
  if (frame.functionName === "(idle)") continue;
  const where = frame.url
    .replace(/^.*node_modules\//, "")
    .replace(/^file:\/\/.*\/(packages|bench)\//, "$1/");
  const name = `${frame.functionName || "(anonymous)"} ${where}:${frame.lineNumber + 1}`;
  byFunction.set(name, (byFunction.get(name) ?? 0) + micros);
  const fileKey = where || frame.functionName;
  byFile.set(fileKey, (byFile.get(fileKey) ?? 0) + micros);
  total += micros;
}
console.log(`busy: ${(total / 1e6).toFixed(2)} s of CPU samples (idle left out)`);
const print = (title: string, map: Map<string, number>) => {
  console.log(`\n${title}`);
  for (const [name, micros] of [...map].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(`${((100 * micros) / total).toFixed(1).padStart(5)}%  ${name}`);
  }
};
print("self time by function", byFunction);
print("self time by file", byFile);
