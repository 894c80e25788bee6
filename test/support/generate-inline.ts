import { spawn } from "node:child_process";
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { delimiter, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root (this file is test/support/generate-inline.ts). */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

/**
 * Runs a command to completion, with the repository's node_modules/.bin first
 * on PATH (as under npm scripts, so buf finds `local:` plugins by name);
 * resolves with its exit code and output, never rejects on failure.
 */
export function run(
  command: string,
  args: readonly string[],
  cwd: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const PATH = `${join(repoRoot, "node_modules/.bin")}${delimiter}${process.env.PATH ?? ""}`;
    const child = spawn(command, args, {
      cwd,
      env: { ...process.env, PATH },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding("utf8").on("data", (d: string) => {
      stderr += d;
    });
    child.on("error", fail);
    child.on("close", (code) => done({ code: code ?? -1, stdout, stderr }));
  });
}

/** What {@link generateInline} produced. */
export interface InlineGeneration {
  /** buf's exit code: 0 when generation succeeded. */
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  /** The directory the plugins wrote to. */
  readonly outDir: string;
  /** Removes the temporary directory. */
  cleanup(): Promise<void>;
}

/**
 * Writes inline `.proto` files (path → text) into a temporary buf module that
 * can import google/api, google/rpc and protoc-gen-openapiv2/options, and runs the real protoc-gen-es and
 * protoc-gen-ts-gateway over it with `buf generate`. Plugin options go to the
 * gateway plugin; `gatewayOnly` skips protoc-gen-es (faster, for error tests);
 * `esTarget` is protoc-gen-es's `target` (default `ts`).
 * For generation-error tests: look at `code` and `stderr`.
 */
/**
 * A buf workspace in `dir`: `files` (path → text) under `proto/`, with
 * googleapis' google/api and google/rpc and grpc-gateway's openapiv2 options
 * to import, as a user's buf deps would give them.
 */
export async function writeBufWorkspace(
  dir: string,
  files: Readonly<Record<string, string>>,
): Promise<void> {
  for (const [path, text] of Object.entries(files)) {
    const file = join(dir, "proto", path);
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, text);
  }
  // buf wants module paths relative to the workspace: link googleapis in.
  await symlink(join(repoRoot, "node_modules/google-proto-files"), join(dir, "googleapis"));
  // grpc-gateway's openapiv2 options, as a user's `buf.build/grpc-ecosystem/grpc-gateway` dep.
  await symlink(join(repoRoot, "third_party/grpc-gateway"), join(dir, "grpc-gateway"));
  await writeFile(
    join(dir, "buf.yaml"),
    [
      "version: v2",
      "modules:",
      "  - path: proto",
      "  - path: googleapis",
      "    includes: [googleapis/google/api, googleapis/google/rpc]",
      "  - path: grpc-gateway",
      "    includes: [grpc-gateway/protoc-gen-openapiv2]",
      "",
    ].join("\n"),
  );
}

export async function generateInline(
  files: Readonly<Record<string, string>>,
  gatewayOptions: readonly string[] = [],
  { gatewayOnly = false, esTarget = "ts" }: { gatewayOnly?: boolean; esTarget?: string } = {},
): Promise<InlineGeneration> {
  const dir = await mkdtemp(join(tmpdir(), "ts-gateway-gen-"));
  const outDir = join(dir, "gen");
  await writeBufWorkspace(dir, files);
  const bin = join(repoRoot, "node_modules/.bin");
  await writeFile(
    join(dir, "buf.gen.yaml"),
    [
      "version: v2",
      "inputs:",
      "  - directory: proto",
      "plugins:",
      ...(gatewayOnly
        ? []
        : [
            `  - local: ${join(bin, "protoc-gen-es")}`,
            "    out: gen",
            "    include_imports: true",
            `    opt: [target=${esTarget}, import_extension=js]`,
          ]),
      `  - local: ${join(bin, "protoc-gen-ts-gateway")}`,
      "    out: gen",
      `    opt: [${["target=ts", "import_extension=js", ...gatewayOptions].join(", ")}]`,
      "",
    ].join("\n"),
  );
  const result = await run(join(bin, "buf"), ["generate"], dir);
  return {
    ...result,
    outDir,
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}
