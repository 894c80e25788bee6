/**
 * Starts one benchmark row as its own process: `node --import tsx
 * bench/server.ts <row>` with BENCH_BACKEND=host:port. It listens on a
 * loopback port and announces it over IPC (see child-ipc.ts).
 */
import { createServer, type RequestListener } from "node:http";
import type { AddressInfo } from "node:net";
import { announce } from "./child-ipc.js";

const row = process.argv[2] ?? "";
if (!/^[a-z-]+$/.test(row)) throw new Error(`bad row name "${row}"`);
const backend = process.env.BENCH_BACKEND ?? "127.0.0.1:50051";
const module = (await import(`./rows/${row}.js`)) as {
  createRow(backend: string): RequestListener | Promise<RequestListener>;
};
const server = createServer(await module.createRow(backend));
server.keepAliveTimeout = 60_000;
server.listen(0, "127.0.0.1", () => announce((server.address() as AddressInfo).port));
