// Nothing a client sends can crash the gateway or make it answer 5xx: a
// seeded, bounded fuzz run throws random request lines, paths, query strings,
// headers and bodies over raw sockets at the Library example (Express app,
// generated client, real grpc-js backend) and checks every answer's status.
// Runs in test:integration: a fuzz run of thousands of raw requests.
import assert from "node:assert/strict";
import type { Server as HttpServer } from "node:http";
import { connect } from "node:net";
import { after, before, test } from "node:test";
import { credentials, type Server } from "@grpc/grpc-js";
import { parseGrpcTimeout } from "@ts-gateway/runtime";
import { startBackend } from "../../examples/library/src/backend.js";
import { createGatewayApp } from "../../examples/library/src/gateway.js";
import { LibraryServiceClient } from "../../examples/library/src/gen/library/v1/library_gateway.js";
import { InMemoryLibrary } from "../../examples/library/src/library-service.js";
import { prng } from "../support/prng.js";
import { request } from "../support/servers.js";

const seed = Number(process.env.FUZZ_SEED ?? 0x5eed_2026);
const requests = Number(process.env.FUZZ_REQUESTS ?? 2000);
const concurrency = 16;
/** A request with no status line after this long counts as hung. */
const answerTimeoutMs = 5000;

class Gen {
  constructor(readonly random: () => number) {}
  int(n: number): number {
    return Math.floor(this.random() * n);
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)] as T;
  }
  chance(p: number): boolean {
    return this.random() < p;
  }
  ascii(n: number, from = 0x20, to = 0x7e): string {
    let s = "";
    for (let i = 0; i < n; i++) s += String.fromCharCode(from + this.int(to - from + 1));
    return s;
  }
  bytes(n: number): Buffer {
    const b = Buffer.alloc(n);
    for (let i = 0; i < n; i++) b[i] = this.int(256);
    return b;
  }
}

/** Path segments: the example's own, junk, escapes (good and bad), unicode, huge. */
function segment(g: Gen): string {
  switch (g.int(12)) {
    case 0:
      return g.pick(["v1", "shelves", "books", "1", "2", "999", "", ".", ".."]);
    case 1:
      return g.pick(["%", "%z", "%zz", "%4", "%C3", "%C3%28", "%FF%FE", "%00", "%2F", "%252F"]);
    case 2:
      return encodeURIComponent(g.pick(["é", "日本", "💥", "\u0000", "a/b", "?", "#"]));
    case 3:
      return g.pick(["é", "日本", "💥"]); // raw UTF-8 in the request line
    case 4:
      return "x".repeat(g.pick([1000, 8000, 20000]));
    case 5:
      return g.pick(["1:move", "1:watch:move", ":move", "books:", "*", "**", "{name}"]);
    case 6:
      return g.ascii(1 + g.int(12), 0x21, 0x7e).replace(/[?#]/g, "");
    default:
      return String(g.int(5));
  }
}

const knownPaths = [
  "/v1/shelves",
  "/v1/shelves/1",
  "/v1/shelves/1/books",
  "/v1/shelves/1/books/1",
  "/v1/shelves/1/books/1:move",
  "/v1/shelves/2/books/3",
  "/",
];

function path(g: Gen): string {
  if (g.chance(0.4)) return g.pick(knownPaths);
  const n = 1 + g.int(6);
  const parts: string[] = [];
  for (let i = 0; i < n; i++) parts.push(segment(g));
  const p = `/${g.chance(0.7) ? "v1/" : ""}${parts.join("/")}`;
  return g.chance(0.1) ? `${p}/` : p;
}

function query(g: Gen): string {
  if (g.chance(0.4)) return "";
  const keys = [
    "page_size",
    "pageSize",
    "page_token",
    "genre",
    "book.title",
    "book.page_count",
    "update_mask",
    "unknown",
    "a[b]",
    "%zz",
    "",
    "x".repeat(3000),
  ];
  const values = [
    "1",
    "-1",
    "99999999999999999999",
    "1e400",
    "NaN",
    "GENRE_FICTION",
    "GENRE_NOPE",
    "true",
    "%",
    "%C3%28",
    "💥",
    "",
    "x".repeat(5000),
  ];
  const pairs: string[] = [];
  const n = 1 + g.int(5);
  for (let i = 0; i < n; i++) {
    const key = g.pick(keys);
    const value = g.chance(0.5) ? g.pick(values) : encodeURIComponent(g.ascii(g.int(10)));
    pairs.push(g.chance(0.1) ? key : `${key}=${value}`);
  }
  return `?${pairs.join(g.chance(0.9) ? "&" : ";")}`;
}

interface FuzzRequest {
  method: string;
  target: string;
  headers: Array<[string, string]>;
  body: Buffer | undefined;
  /** A valid Grpc-Timeout under a second: a 504 is then the client's own doing. */
  shortDeadline: boolean;
}

function grpcTimeout(g: Gen): string {
  return g.pick([
    "",
    "soon",
    "10",
    "S",
    "-1S",
    "1.5S",
    "123456789S",
    "1s",
    "1x",
    " 1S",
    "99999999H",
    "30S",
    "10M",
    "1H",
    "5n",
    "0m",
    "1u",
    "100m",
  ]);
}

function headers(g: Gen): { headers: Array<[string, string]>; shortDeadline: boolean } {
  const out: Array<[string, string]> = [];
  let shortDeadline = false;
  const n = g.int(6);
  for (let i = 0; i < n; i++) {
    switch (g.int(9)) {
      case 0:
        out.push([
          `Grpc-Metadata-${g.ascii(1 + g.int(10), 0x21, 0x7e).replace(/:/g, "")}`,
          g.ascii(g.int(20)),
        ]);
        break;
      case 1:
        out.push([
          `Grpc-Metadata-${g.pick(["k", "Blob", "x"])}-Bin`,
          g.chance(0.5) ? g.ascii(g.int(16)) : "AAEC",
        ]);
        break;
      case 2: {
        const value = grpcTimeout(g);
        const parsed = parseGrpcTimeout(value);
        if (parsed.ok && parsed.ms < 1000) shortDeadline = true;
        out.push(["Grpc-Timeout", value]);
        break;
      }
      case 3:
        out.push([
          g.pick([
            "Authorization",
            "Cookie",
            "Accept",
            "User-Agent",
            "traceparent",
            "X-Request-Id",
          ]),
          g.ascii(g.int(40)),
        ]);
        break;
      case 4:
        out.push(["X-Forwarded-For", g.pick(["1.2.3.4", "", "::1, 10.0.0.1", g.ascii(20)])]);
        break;
      case 5:
        out.push([
          g.pick([
            "Grpc-Metadata-Grpc-Status",
            "Grpc-Metadata-Content-Type",
            "Grpc-Metadata-Te",
            "Grpc-Metadata-:path",
            "Grpc-Metadata-Grpc-Internal-X",
          ]),
          "1",
        ]);
        break;
      case 6:
        out.push(["Connection", g.pick(["keep-alive, Grpc-Metadata-x", "close", "te"])]);
        break;
      case 7:
        // obs-text bytes (latin1) in a value
        out.push([
          g.pick(["Grpc-Metadata-Utf", "Cookie"]),
          Buffer.from("ümlaut €", "utf8").toString("latin1"),
        ]);
        break;
      default:
        out.push([g.ascii(1 + g.int(8), 0x61, 0x7a), g.ascii(g.int(30))]);
    }
  }
  return { headers: out, shortDeadline };
}

function body(g: Gen): Buffer | undefined {
  switch (g.int(10)) {
    case 0:
      return undefined;
    case 1:
      return g.bytes(g.int(200));
    case 2: {
      const depth = g.pick([100, 10_000, 200_000]);
      return Buffer.from(`{"book":${"[".repeat(depth)}${"]".repeat(depth)}}`);
    }
    case 3: {
      const depth = g.pick([100, 5000, 50_000]);
      return Buffer.from(`${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`);
    }
    case 4:
      return Buffer.from(
        JSON.stringify({
          title: "t",
          pageCount: g.pick([1e308, -1e308, 2 ** 53 + 1, 0.5, -0]),
          theme: "x",
        }).replace('"pageCount":', `"${g.pick(["pageCount", "page_count"])}":`),
      );
    case 5:
      return Buffer.from(`{"pageCount": 1${"0".repeat(g.pick([20, 400, 5000]))}, "title": "x"}`);
    case 6:
      return Buffer.from(
        g.pick(["", "null", "[]", "1", '"s"', "{", '{"title":', "{}{}", '{"title":"\\ud800"}']),
      );
    case 7:
      return Buffer.from(
        JSON.stringify({
          theme: "💥",
          title: "日本",
          updateMask: "title,nope",
          otherShelfName: "shelves/%zz",
        }),
      );
    default:
      return Buffer.from(
        JSON.stringify({ theme: g.ascii(g.int(30)), title: g.ascii(g.int(30)), author: "a" }),
      );
  }
}

function generate(g: Gen): FuzzRequest {
  const method = g.pick([
    "GET",
    "GET",
    "POST",
    "POST",
    "PATCH",
    "DELETE",
    "PUT",
    "HEAD",
    "OPTIONS",
  ]);
  const h = headers(g);
  const b = method === "GET" && g.chance(0.8) ? undefined : body(g);
  if (b !== undefined) {
    h.headers.push([
      "Content-Type",
      g.pick([
        "application/json",
        "application/json; charset=utf-8",
        "text/plain",
        "application/x-www-form-urlencoded",
        "",
        "application/merge-patch+json",
      ]),
    ]);
  }
  return {
    method,
    target: path(g) + query(g),
    headers: h.headers,
    body: b,
    shortDeadline: h.shortDeadline,
  };
}

/** Sends one raw request on its own connection; resolves with the final status (1xx skipped). */
function send(port: number, r: FuzzRequest): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    let received = Buffer.alloc(0);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer within ${answerTimeoutMs}ms`));
    }, answerTimeoutMs);
    const done = (status: number) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(status);
    };
    socket.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    socket.on("data", (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      for (;;) {
        const text = received.toString("latin1");
        const m = /^HTTP\/1\.[01] (\d{3})[^\r\n]*\r\n/.exec(text);
        if (m === null) return;
        const status = Number(m[1]);
        if (status >= 200) {
          done(status);
          return;
        }
        const end = text.indexOf("\r\n\r\n");
        if (end === -1) return;
        received = received.subarray(end + 4); // skip a 1xx answer
      }
    });
    socket.on("end", () => {
      clearTimeout(timer);
      reject(
        new Error(
          `connection closed without a status line: ${JSON.stringify(received.toString("latin1").slice(0, 200))}`,
        ),
      );
    });
    const head = [`${r.method} ${r.target} HTTP/1.1`, "Host: fuzz", "Connection: close"];
    for (const [k, v] of r.headers) head.push(`${k}: ${v}`);
    if (r.body !== undefined) head.push(`Content-Length: ${r.body.length}`);
    socket.write(Buffer.from(`${head.join("\r\n")}\r\n\r\n`, "latin1"));
    if (r.body !== undefined) socket.write(r.body);
  });
}

let grpcServer: Server;
let client: LibraryServiceClient;
let http: HttpServer;
let port: number;

before(async () => {
  const backend = await startBackend(new InMemoryLibrary());
  grpcServer = backend.server;
  client = new LibraryServiceClient(`127.0.0.1:${backend.port}`, credentials.createInsecure());
  http = createGatewayApp(client).listen(0, "127.0.0.1");
  await new Promise((resolve) => http.once("listening", resolve));
  port = (http.address() as { port: number }).port;
  // Some data, so that known paths reach the backend's happy paths too.
  await request(`http://127.0.0.1:${port}/v1/shelves`, {
    method: "POST",
    json: { theme: "Fiction" },
  });
  await request(`http://127.0.0.1:${port}/v1/shelves/1/books`, {
    method: "POST",
    json: { title: "Dune", author: "Frank Herbert" },
  });
});

after(async () => {
  http.closeAllConnections();
  await new Promise((resolve) => http.close(resolve));
  client.close();
  grpcServer.forceShutdown();
});

test(`fuzz: ${requests} random requests (seed ${seed}) answer only 2xx/4xx`, {
  timeout: 60_000,
}, async (t) => {
  const problems: unknown[] = [];
  const record = (e: unknown) => problems.push(e);
  process.on("uncaughtException", record);
  process.on("unhandledRejection", record);
  const g = new Gen(prng(seed));
  const batch: FuzzRequest[] = [];
  for (let i = 0; i < requests; i++) batch.push(generate(g));
  const failures: string[] = [];
  const counts = new Map<number, number>();
  try {
    let next = 0;
    const worker = async () => {
      while (next < batch.length) {
        const index = next++;
        const r = batch[index] as FuzzRequest;
        let status: number;
        try {
          status = await send(port, r);
        } catch (err) {
          failures.push(
            `#${index} ${r.method} ${r.target.slice(0, 120)}: ${(err as Error).message}`,
          );
          continue;
        }
        counts.set(status, (counts.get(status) ?? 0) + 1);
        const ok =
          (status >= 200 && status < 300) ||
          (status >= 400 && status < 500) ||
          (status === 504 && r.shortDeadline);
        if (!ok) {
          failures.push(
            `#${index} ${status} ${r.method} ${r.target.slice(0, 120)} ${JSON.stringify(r.headers).slice(0, 300)} ${r.body?.subarray(0, 80).toString("latin1") ?? ""}`,
          );
        }
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    // Let any late rejection or exception surface before looking.
    await new Promise((resolve) => setTimeout(resolve, 50));
  } finally {
    process.off("uncaughtException", record);
    process.off("unhandledRejection", record);
  }
  t.diagnostic(`statuses: ${JSON.stringify([...counts].sort((a, b) => a[0] - b[0]))}`);
  assert.deepEqual(failures.slice(0, 20), [], `seed ${seed}: ${failures.length} bad answers`);
  assert.deepEqual(problems, []);
  // The run exercised both outcomes, and the server is alive afterwards.
  const statuses = [...counts.keys()];
  assert.ok(
    statuses.some((s) => s < 300) && statuses.some((s) => s >= 400),
    JSON.stringify([...counts]),
  );
  const alive = await request(`http://127.0.0.1:${port}/v1/shelves`, {
    method: "POST",
    json: { theme: "Still here" },
  });
  assert.equal(alive.status, 201, alive.text);
});
