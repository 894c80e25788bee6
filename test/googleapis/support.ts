// Real googleapis protos from the google-proto-files devDependency, for the
// large-API tests: a buf workspace whose `google` folder is a link to the
// package's, so buf builds any of its 1,649 annotated files offline.
import { spawn } from "node:child_process";
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import {
  CodeGeneratorRequestSchema,
  type CodeGeneratorResponse,
  CodeGeneratorResponseSchema,
  type FileDescriptorProto,
} from "@bufbuild/protobuf/wkt";
import { repoRoot, run } from "../support/generate-inline.js";

export { repoRoot, run };

/** The google-proto-files package's root. */
export const googleProtoFiles = join(repoRoot, "node_modules/google-proto-files");

/**
 * A temporary buf workspace holding google-proto-files' `google` tree (and
 * `grafeas`, which binaryauthorization imports); `dispose` removes it.
 */
export async function googleWorkspace(): Promise<{ dir: string; dispose: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), "ts-gateway-googleapis-"));
  await symlink(join(googleProtoFiles, "google"), join(dir, "google"));
  await symlink(join(googleProtoFiles, "grafeas"), join(dir, "grafeas"));
  await writeFile(join(dir, "buf.yaml"), "version: v2\n");
  return { dir, dispose: () => rm(dir, { recursive: true, force: true }) };
}

/** The `file:line:col: pkg.Service.Method: reason` lines of a plugin's output. */
export function ruleLines(text: string): string[] {
  return text
    .split("\n")
    .map((line) => line.replace(/^.*?(google\/\S+\.proto:\d+:\d+: )/, "$1"))
    .filter((line) => /^google\/\S+\.proto:\d+:\d+: /.test(line))
    .sort();
}

/** `/v1/{}:x` for `/v1/{name}:x`: the paths OpenAPI 3.1 considers equal. */
export function pathShape(path: string): string {
  return path.replace(/\{[^}]*\}/g, "{}");
}

/** What {@link runPlugin} gives back: the exit code, stderr and the decoded response. */
export interface PluginRun {
  readonly code: number;
  readonly stderr: string;
  readonly response: CodeGeneratorResponse | undefined;
  /** Wall time of the run, for the log. */
  readonly wallMs: number;
}

/**
 * Runs a protoc plugin as protoc does: a `CodeGeneratorRequest` on stdin, the
 * response read from stdout, within `deadlineMs` (then killed, and the run
 * fails with a message).
 */
export function runPlugin(
  bin: string,
  protoFile: readonly FileDescriptorProto[],
  fileToGenerate: readonly string[],
  parameter: string,
  deadlineMs: number,
): Promise<PluginRun> {
  const request = create(CodeGeneratorRequestSchema, {
    fileToGenerate: [...fileToGenerate],
    parameter,
    protoFile: [...protoFile],
  });
  const start = Date.now();
  return new Promise((done, fail) => {
    const child = spawn(bin, [], { stdio: ["pipe", "pipe", "pipe"] });
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      fail(new Error(`${bin} ran longer than ${deadlineMs} ms`));
    }, deadlineMs);
    const out: Buffer[] = [];
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => out.push(d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => {
      stderr += d;
    });
    child.stdin.on("error", () => {});
    child.on("error", (err) => {
      clearTimeout(timer);
      fail(err);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      const bytes = Buffer.concat(out);
      done({
        code: code ?? -1,
        stderr,
        response:
          code === 0 && bytes.length > 0
            ? fromBinary(CodeGeneratorResponseSchema, bytes)
            : undefined,
        wallMs: Date.now() - start,
      });
    });
    child.stdin.end(toBinary(CodeGeneratorRequestSchema, request));
  });
}

/** Writes a plugin response's files under `out`. */
export async function writeResponse(out: string, response: CodeGeneratorResponse): Promise<void> {
  for (const file of response.file) {
    const path = join(out, file.name);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, file.content);
  }
}
