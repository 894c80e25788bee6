// Which modules a node process loads: a child process records every URL the
// ESM loader resolves (a `module.register` resolve hook) and, when it exits,
// every file in the CommonJS cache (which catches a `createRequire` require,
// which the ESM hooks do not see in Node 20, and CommonJS packages an ESM
// import loaded).
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { repoRoot } from "./generate-inline.js";

const hook = `import { appendFileSync } from "node:fs";
let out;
export function initialize(data) { out = data.out; }
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  appendFileSync(out, result.url + "\\n");
  return result;
}
`;

const register = (hookUrl: string) => `import { register, createRequire } from "node:module";
import { appendFileSync } from "node:fs";
const out = process.env.LOADED_MODULES_OUT;
register(${JSON.stringify(hookUrl)}, { data: { out } });
const require = createRequire(import.meta.url);
process.on("exit", () => appendFileSync(out, Object.keys(require.cache).join("\\n") + "\\n"));
`;

/**
 * The modules (URLs and CommonJS file paths) loaded while node runs `args`
 * (stdin empty, cwd the repository root); the process must exit 0 within
 * 60 s.
 */
export async function modulesLoadedWhileRunning(args: readonly string[]): Promise<string[]> {
  const dir = await mkdtemp(join(tmpdir(), "ts-gateway-loaded-"));
  try {
    const hookFile = join(dir, "hook.mjs");
    const registerFile = join(dir, "register.mjs");
    const out = join(dir, "loaded.txt");
    await writeFile(hookFile, hook);
    await writeFile(registerFile, register(pathToFileURL(hookFile).href));
    await writeFile(out, "");
    await new Promise<void>((resolve, reject) => {
      const child = execFile(
        process.execPath,
        ["--import", pathToFileURL(registerFile).href, ...args],
        { cwd: repoRoot, env: { ...process.env, LOADED_MODULES_OUT: out }, timeout: 60_000 },
        (err, _stdout, stderr) =>
          err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(),
      );
      child.stdin?.end();
    });
    return (await readFile(out, "utf8")).split("\n").filter((line) => line.length > 0);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The modules loaded while node runs `script`, an ES module, in the repository root. */
export function modulesLoadedBy(script: string): Promise<string[]> {
  return modulesLoadedWhileRunning(["--input-type=module", "-e", script]);
}

/** The packages among `names` of which `loaded` holds a file. */
export function packagesAmong(loaded: readonly string[], names: readonly string[]): string[] {
  return names.filter((name) => loaded.some((m) => m.includes(`/node_modules/${name}/`)));
}

/** Fails unless `loaded` holds a file ending in `suffix` (the recording works). */
export function assertLoaded(loaded: readonly string[], suffix: string): void {
  assert.ok(
    loaded.some((m) => m.endsWith(suffix)),
    `${suffix} is loaded: ${loaded.join(" ")}`,
  );
}
