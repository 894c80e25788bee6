// Uploads through a gateway child process (upload-gateway-child.ts) into a
// real grpc-js Library backend in this process whose Upload can read slowly:
// what the backend received, the gateway's RSS, and a streaming multipart
// client that hashes what it sends.
import { type ChildProcess, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { once } from "node:events";
import { request } from "node:http";
import { fileURLToPath } from "node:url";
import type { Server } from "@grpc/grpc-js";
import type { CallContext } from "@ts-gateway/runtime";
import { addLibraryService } from "../../examples/library/src/gen/library/v1/library_gateway.js";
import type { UploadRequest } from "../../examples/library/src/gen/library/v1/library_pb.js";
import { InMemoryLibrary } from "../../examples/library/src/library-service.js";
import { startGrpcServer } from "./servers.js";

const child = fileURLToPath(new URL("./upload-gateway-child.ts", import.meta.url));

/** The backend: its address, bytes received so far, and how its last upload ended. */
export interface UploadBackend {
  readonly address: string;
  readonly server: Server;
  /** File bytes received by all uploads so far. */
  received: number;
  /** Milliseconds the backend waits before taking each message. */
  delayMs: number;
  /** Uploads whose call was cancelled (by the gateway) or whose request stream failed. */
  failed: number;
  close(): Promise<void>;
}

/** A Library backend whose Upload hashes what it gets, `delayMs` per message. */
export async function startUploadBackend(): Promise<UploadBackend> {
  const library = new InMemoryLibrary();
  const state = { received: 0, delayMs: 0, failed: 0 };
  const upload = library.upload.bind(library);
  library.upload = async (requests: AsyncIterable<UploadRequest>, context?: CallContext) => {
    context?.signal.addEventListener("abort", () => state.failed++, { once: true });
    async function* counted() {
      try {
        for await (const r of requests) {
          if (state.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, state.delayMs));
          state.received += r.file?.data.length ?? 0;
          yield r;
        }
      } catch (err) {
        state.failed++;
        throw err;
      }
    }
    return upload(counted());
  };
  const grpc = await startGrpcServer((server) => addLibraryService(server, library));
  return Object.assign(state, { address: grpc.address, server: grpc.server, close: grpc.close });
}

/** The gateway child. */
export interface UploadGateway {
  readonly child: ChildProcess;
  readonly url: string;
  readonly port: number;
  alive(): boolean;
  output(): string;
  /** The child's RSS after a GC (it runs with --expose-gc). */
  rss(): Promise<number>;
  kill(): Promise<void>;
}

export async function startUploadGateway(
  backend: string,
  env: Record<string, string> = {},
): Promise<UploadGateway> {
  const proc = spawn(process.execPath, ["--expose-gc", "--import", "tsx", child], {
    env: { ...process.env, BACKEND: backend, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  proc.stdout?.on("data", (c: Buffer) => {
    out += c.toString();
  });
  proc.stderr?.on("data", (c: Buffer) => {
    out += c.toString();
  });
  const port = await waitFor(
    () => /listening (\d+)/.exec(out)?.[1],
    30_000,
    () => out,
  ).then(Number);
  const alive = () => proc.exitCode === null && proc.signalCode === null;
  return {
    child: proc,
    port,
    url: `http://127.0.0.1:${port}`,
    alive,
    output: () => out,
    async rss() {
      const start = out.length;
      proc.kill("SIGUSR2");
      const v = await waitFor(
        () => /rss (\d+)/.exec(out.slice(start))?.[1],
        10_000,
        () => out,
      );
      return Number(v);
    },
    async kill() {
      if (!alive()) return;
      const exit = once(proc, "exit");
      proc.kill("SIGKILL");
      await exit;
    },
  };
}

async function waitFor<T>(
  probe: () => T | undefined,
  timeoutMs: number,
  context: () => string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out; child output:\n${context()}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** What a streamed upload sent and got back. */
export interface UploadResult {
  readonly status: number;
  readonly body: string;
  readonly sha256: string;
  readonly sent: number;
}

const boundary = "----ts-gateway-upload-boundary";

/**
 * Streams a multipart upload of `size` pseudo-random bytes (a text part
 * `description`, then the file part `file`) to `url` with backpressure from
 * the socket; `onWrite` sees the bytes of file written so far.
 */
export function streamUpload(
  url: string,
  size: number,
  onWrite: (sent: number) => void = () => {},
): Promise<UploadResult> {
  const hash = createHash("sha256");
  const block = Buffer.alloc(1024 * 1024);
  for (let i = 0; i < block.length; i++) block[i] = (i * 2654435761) >>> 24;
  return new Promise((resolve, reject) => {
    const req = request(url, {
      method: "POST",
      headers: { "content-type": `multipart/form-data; boundary=${boundary}` },
    });
    let sent = 0;
    req.on("error", reject);
    req.on("response", (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => {
        body += c;
      });
      res.on("end", () =>
        resolve({ status: res.statusCode ?? 0, body, sha256: hash.digest("hex"), sent }),
      );
      res.on("error", reject);
    });
    req.write(
      `--${boundary}\r\nContent-Disposition: form-data; name="description"\r\n\r\nbig\r\n` +
        `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.bin"\r\n` +
        "Content-Type: application/octet-stream\r\n\r\n",
    );
    const pump = () => {
      while (sent < size) {
        const n = Math.min(block.length, size - sent);
        // Vary each block so a shifted or repeated chunk changes the digest.
        const chunk = Buffer.from(block.subarray(0, n));
        chunk.writeUInt32BE((sent / block.length) >>> 0, 0);
        hash.update(chunk);
        sent += n;
        onWrite(sent);
        if (!req.write(chunk)) {
          req.once("drain", pump);
          return;
        }
      }
      req.end(`\r\n--${boundary}--\r\n`);
    };
    pump();
  });
}
