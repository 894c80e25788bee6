// The interop backends: interop.v1.InteropService on Python grpcio (Debian's
// python3-grpcio, stubs generated now into a temporary folder) and on grpc-go
// (built offline from Debian's Go sources, cached under test/interop/out/).
// Each runs as a child process with stdin open: it exits when stdin closes,
// so a killed test leaves no backend behind; stopBackends() kills by PID.
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { repoRoot } from "../../gateway/support/processes.js";
import { tempDir } from "../../support/temp-dirs.js";

const run = promisify(execFile);
/** Debian's python3 (with grpcio): the `python3` first on PATH may be another one. */
export const python = process.env.TS_GATEWAY_PYTHON ?? "/usr/bin/python3";
const pythonInstall =
  "apt-get install python3-grpcio python3-grpc-tools protobuf-compiler (Debian; use /usr/bin/python3)";
const goOut = join(repoRoot, "test/interop/out/go");

const children = new Set<ChildProcess>();

/** A backend process and its port. */
export interface Backend {
  readonly port: number;
  readonly pid: number;
  output(): string;
}

async function sh(command: string, args: readonly string[], hint: string): Promise<string> {
  try {
    const { stdout } = await run(command, args, { cwd: repoRoot, timeout: 300_000 });
    return stdout;
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(
      `${command} ${args.join(" ")} failed (${hint}):\n${e.stdout ?? ""}${e.stderr ?? e.message}`,
    );
  }
}

let stubs: Promise<string> | undefined;

/**
 * Python stubs of interop.proto, google/api, google/rpc and grpc.health.v1:
 * messages by Debian's protoc (grpc_tools' own protoc is too old for
 * google/rpc's proto3 `optional`), services by `python3 -m grpc_tools.protoc`.
 */
export function pythonStubs(): Promise<string> {
  stubs ??= (async () => {
    if (!existsSync(python)) throw new Error(`${python} not found: ${pythonInstall}`);
    await sh(python, ["-c", "import grpc, grpc_tools"], pythonInstall);
    const out = tempDir("ts-gateway-interop-py-");
    const googleapis = join(repoRoot, "node_modules/google-proto-files");
    const health = join(repoRoot, "packages/runtime/proto/grpc/health/v1");
    const protos = ["-I", "test/proto", "-I", googleapis];
    await sh(
      "protoc",
      [
        ...protos,
        `--python_out=${out}`,
        "interop/v1/interop.proto",
        "google/api/annotations.proto",
        "google/api/http.proto",
        "google/rpc/status.proto",
        "google/rpc/error_details.proto",
      ],
      pythonInstall,
    );
    await sh("protoc", ["-I", health, `--python_out=${out}`, "health.proto"], pythonInstall);
    const grpcTools = [python, "-m", "grpc_tools.protoc"] as const;
    await sh(
      grpcTools[0],
      [...grpcTools.slice(1), ...protos, `--grpc_python_out=${out}`, "interop/v1/interop.proto"],
      pythonInstall,
    );
    await sh(
      grpcTools[0],
      [...grpcTools.slice(1), "-I", health, `--grpc_python_out=${out}`, "health.proto"],
      pythonInstall,
    );
    return out;
  })();
  return stubs;
}

/** Builds the grpc-go backend (cached); fails with the install line when Go is missing. */
export async function goBackendBinary(): Promise<string> {
  await sh(
    "sh",
    ["test/interop/backends/go/build.sh", goOut],
    "the Go toolchain and Debian's Go sources",
  );
  return join(goOut, "interop-backend");
}

/** Starts a backend: `python` or `go`, with or without grpc.health.v1. */
export async function startBackend(kind: "python" | "go", health = true): Promise<Backend> {
  const [command, args] =
    kind === "python"
      ? [
          python,
          [
            join(repoRoot, "test/interop/backends/interop_server.py"),
            await pythonStubs(),
            ...(health ? [] : ["--no-health"]),
          ],
        ]
      : [await goBackendBinary(), health ? [] : ["-no-health"]];
  const child = spawn(command, args, { stdio: ["pipe", "pipe", "pipe"] });
  children.add(child);
  child.once("exit", () => children.delete(child));
  child.on("error", () => {});
  let out = "";
  child.stderr.on("data", (chunk: Buffer) => {
    out += chunk.toString();
  });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${kind} backend did not start:\n${out}`)),
      60_000,
    );
    child.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const m = /listening (\d+)/.exec(out);
      if (m !== null) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${kind} backend exited (${code}):\n${out}`));
    });
  });
  return { port, pid: child.pid!, output: () => out };
}

/** Ends every backend this process started, by PID. */
export async function stopBackends(): Promise<void> {
  const waits = [...children].map(
    (child) =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.stdin?.end();
        child.kill("SIGTERM");
        setTimeout(() => child.kill("SIGKILL"), 5000).unref();
      }),
  );
  await Promise.all(waits);
}
