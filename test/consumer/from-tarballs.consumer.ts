// The new user's path, from outside the workspace: `npm pack` both packages,
// copy examples/service-repo into a temporary directory, install the tarballs
// and the registry packages with the README's own `npm install` lines
// (TypeScript at its newest major), run buf build, lint and generate for
// target=ts and target=js+dts, type-check with --strict and skipLibCheck
// false, start the grpc-js server and the gateway, and send requests.
// Three consumers: Express; node:http without Express; an older grpc-js minor.
//
// It needs the npm registry and takes minutes: `npm run test:consumer`, run by
// CI after `npm test`. Installs share npm's cache (--prefer-offline).
import assert from "node:assert/strict";
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { promisify } from "node:util";
import { repoRoot } from "../support/generate-inline.js";

const execFileAsync = promisify(execFile);
const template = join(repoRoot, "examples/service-repo");

/** Runs a command to completion within `timeoutMs`; rejects with its output on failure. */
async function sh(
  cwd: string,
  command: string,
  args: readonly string[],
  { timeoutMs = 300_000, env = {} }: { timeoutMs?: number; env?: Record<string, string> } = {},
): Promise<string> {
  try {
    const { stdout } = await execFileAsync(command, args, {
      cwd,
      timeout: timeoutMs,
      maxBuffer: 64 * 1024 * 1024,
      env: { ...process.env, ...env },
    });
    return stdout;
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(
      `${command} ${args.join(" ")} in ${cwd} failed: ${e.message}\n${e.stdout ?? ""}\n${e.stderr ?? ""}`,
    );
  }
}

/** Wall time of `fn` in ms. */
async function timed(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return Math.round(performance.now() - start);
}

/** The README's service-repo section. */
async function readmeSection(): Promise<string> {
  const readme = await readFile(join(repoRoot, "README.md"), "utf8");
  const start = readme.indexOf("## Using it in your service repo");
  assert.ok(start >= 0, "README has the service-repo section");
  const end = readme.indexOf("\n## ", start + 1);
  return readme.slice(start, end < 0 ? undefined : end);
}

let work: string;
let tarballs: { runtime: string; plugin: string };
let installLines: string[][];
const children = new Set<ChildProcess>();

before(async () => {
  work = await mkdtemp(join(tmpdir(), "ts-gateway-consumer-"));
  // `npm pack` runs each package's prepack (a clean build).
  const packed = JSON.parse(
    await sh(repoRoot, "npm", [
      "pack",
      "--json",
      "--pack-destination",
      work,
      "-w",
      "packages/runtime",
      "-w",
      "packages/protoc-gen-ts-gateway",
    ]),
  ) as Array<{ name: string; filename: string; files: Array<{ path: string }> }>;
  const byName = new Map(packed.map((p) => [p.name, p]));
  const runtime = byName.get("@ts-gateway/runtime");
  const plugin = byName.get("protoc-gen-ts-gateway");
  assert.ok(runtime !== undefined && plugin !== undefined);
  tarballs = { runtime: join(work, runtime.filename), plugin: join(work, plugin.filename) };
  packedFiles = {
    runtime: runtime.files.map((f) => f.path),
    plugin: plugin.files.map((f) => f.path),
  };
  installLines = (await readmeSection())
    .split("\n")
    .filter((line) => line.startsWith("npm install "))
    .map((line) => line.split(/\s+/).slice(1));
  assert.equal(installLines.length, 2, "the README installs dependencies and devDependencies");
});

after(async () => {
  for (const child of children) child.kill("SIGKILL");
  await rm(work, { recursive: true, force: true });
});

let packedFiles: { runtime: string[]; plugin: string[] };

test("the tarballs hold built code, types, README and LICENSE, and no source maps", () => {
  const cases = [
    {
      files: packedFiles.runtime,
      expect: [
        "LICENSE",
        "README.md",
        "package.json",
        "dist/index.js",
        "dist/index.d.ts",
        "dist/express/index.js",
        "dist/path-template/index.d.ts",
        "dist/proto/google/rpc/error_details_pb.js",
      ],
    },
    {
      files: packedFiles.plugin,
      expect: [
        "LICENSE",
        "README.md",
        "package.json",
        "bin/protoc-gen-ts-gateway",
        "dist/index.js",
        "dist/index.d.ts",
        "dist/skip-typescript.js",
      ],
    },
  ];
  for (const { files, expect } of cases) {
    for (const file of expect) assert.ok(files.includes(file), `${file} in ${files.join(" ")}`);
    assert.deepEqual(
      files.filter((f) => f.endsWith(".map") || f.startsWith("src/")),
      [],
    );
  }
});

test("the README shows the template's files as they are", async () => {
  const section = await readmeSection();
  const files = [
    "package.json",
    "buf.yaml",
    "buf.gen.yaml",
    "tsconfig.json",
    "src/server.ts",
    "src/gateway.ts",
  ];
  for (const file of files) {
    const text = (await readFile(join(template, file), "utf8")).trim();
    assert.ok(section.includes(text), `README shows ${file}:\n${text}`);
  }
});

interface Consumer {
  readonly dir: string;
}

/** Copies the template to `name` and installs with the README's lines, tarballs for our packages. */
async function createConsumer(
  name: string,
  { without = [] as string[], extra = [] as string[] } = {},
): Promise<Consumer> {
  const dir = join(work, name);
  await cp(template, dir, { recursive: true, filter: (src) => !/\/(node_modules|gen)$/.test(src) });
  for (const words of installLines) {
    const args = words
      .filter((w) => !without.includes(w))
      .map((w) =>
        w === "@ts-gateway/runtime"
          ? tarballs.runtime
          : w === "protoc-gen-ts-gateway"
            ? tarballs.plugin
            : w,
      );
    await sh(dir, "npm", [...args, "--prefer-offline", "--no-audit", "--no-fund"]);
  }
  if (extra.length > 0)
    await sh(dir, "npm", ["install", ...extra, "--prefer-offline", "--no-audit", "--no-fund"]);
  return { dir };
}

/** `npm run <script>` in the consumer. */
function npmRun(consumer: Consumer, script: string, timeoutMs = 180_000): Promise<string> {
  return sh(consumer.dir, "npm", ["run", "--silent", script], { timeoutMs });
}

/** Starts `tsx <file>` and resolves with what it prints first (`gRPC on …`, `gateway on …`). */
function start(consumer: Consumer, file: string, env: Record<string, string>): Promise<string> {
  // node --import tsx rather than the tsx bin: one process, so its PID is the app's.
  const child = spawn(process.execPath, ["--import", "tsx", file], {
    cwd: consumer.dir,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.add(child);
  child.on("exit", () => children.delete(child));
  return new Promise((resolve, reject) => {
    let stderr = "";
    const timer = setTimeout(() => reject(new Error(`${file} did not start: ${stderr}`)), 60_000);
    child.stderr.setEncoding("utf8").on("data", (d: string) => {
      stderr += d;
    });
    child.stdout.setEncoding("utf8").once("data", (d: string) => {
      clearTimeout(timer);
      resolve(d.trim());
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${file} exited with ${code}: ${stderr}`));
    });
  });
}

/** Starts the gRPC server and a gateway, sends the requests a user would, stops both. */
async function serveAndRequest(consumer: Consumer, gateway: string): Promise<void> {
  const before = new Set(children);
  try {
    const grpc = await start(consumer, "src/server.ts", { GRPC_PORT: "0" });
    const backend = /^gRPC on (\S+)$/.exec(grpc)?.[1];
    assert.ok(backend, grpc);
    const http = await start(consumer, gateway, { PORT: "0", BACKEND: backend });
    const url = /^gateway on (\S+)$/.exec(http)?.[1];
    assert.ok(url, http);
    const call = async (method: string, path: string, body?: unknown) => {
      const init: RequestInit = { method, signal: AbortSignal.timeout(10_000) };
      if (body !== undefined) {
        init.body = JSON.stringify(body);
        init.headers = { "content-type": "application/json" };
      }
      const res = await fetch(`${url}${path}`, init);
      return { status: res.status, json: (await res.json()) as unknown };
    };
    const cases: Array<[string, string, unknown, number, unknown]> = [
      [
        "POST",
        "/v1/notes",
        { text: "buy milk", tag: "home" },
        200,
        { note: { id: "1", text: "buy milk", tag: "home" } },
      ],
      [
        "POST",
        "/v1/notes",
        { text: "ship it", tag: "work" },
        200,
        { note: { id: "2", text: "ship it", tag: "work" } },
      ],
      ["GET", "/v1/notes/2", undefined, 200, { note: { id: "2", text: "ship it", tag: "work" } }],
      [
        "GET",
        "/v1/notes?tag=home",
        undefined,
        200,
        { notes: [{ id: "1", text: "buy milk", tag: "home" }] },
      ],
      ["GET", "/v1/notes/9", undefined, 404, { code: 5, message: "no note 9", details: [] }],
    ];
    for (const [method, path, body, status, json] of cases) {
      assert.deepEqual(await call(method, path, body), { status, json }, `${method} ${path}`);
    }
  } finally {
    const started = [...children].filter((child) => !before.has(child));
    await Promise.all(
      started.map(
        (child) =>
          new Promise((exited) => {
            child.once("exit", exited);
            child.kill("SIGKILL");
          }),
      ),
    );
  }
}

/** Generates for `target`, timing it; replaces src/gen. */
async function generate(consumer: Consumer, target: "ts" | "js+dts"): Promise<number> {
  await rm(join(consumer.dir, "src/gen"), { recursive: true, force: true });
  const config = (await readFile(join(template, "buf.gen.yaml"), "utf8")).replaceAll(
    "target=ts",
    `target=${target}`,
  );
  await writeFile(join(consumer.dir, "buf.gen.yaml"), config);
  return timed(() => npmRun(consumer, "generate"));
}

test("consumer 1: Express gateway, the newest TypeScript, target=ts and target=js+dts", async () => {
  const consumer = await createConsumer("express");
  const tsVersion = JSON.parse(
    await sh(consumer.dir, "node", [
      "-p",
      "JSON.stringify(require('typescript/package.json').version)",
    ]),
  );
  console.log(`consumer 1: typescript ${tsVersion}`);
  // Whatever `npm install -D typescript` gives today (the registry's newest):
  // the generated code must build with it. Not an assertion about the registry.
  assert.ok(Number(/^(\d+)\./.exec(tsVersion)?.[1]) >= 5, `TypeScript ${tsVersion} installed`);
  await npmRun(consumer, "build:proto");
  await npmRun(consumer, "lint:proto");
  for (const target of ["ts", "js+dts"] as const) {
    const ms = await generate(consumer, target);
    console.log(
      `consumer 1: npm run generate (buf, protoc-gen-es + protoc-gen-ts-gateway, target=${target}): ${ms} ms`,
    );
    await npmRun(consumer, "typecheck");
    // The same tsconfig with the workspace's TypeScript 5.
    await sh(consumer.dir, join(repoRoot, "node_modules/.bin/tsc"), ["-p", "."], {
      timeoutMs: 180_000,
    });
    await serveAndRequest(consumer, "src/gateway.ts");
  }
  const importMs = await timed(() =>
    sh(consumer.dir, "node", ["-e", "import('@ts-gateway/runtime')"]),
  );
  console.log(
    `consumer 1: node -e "import('@ts-gateway/runtime')": ${importMs} ms (process included)`,
  );
});

let nodeHttp: Consumer | undefined;

test("consumer 2: the mux on node:http; etcd3 not installed", async () => {
  const consumer = await createConsumer("node-http");
  nodeHttp = consumer;
  await rm(join(consumer.dir, "src/gateway.ts"));
  await generate(consumer, "ts");
  await npmRun(consumer, "typecheck");
  await serveAndRequest(consumer, "src/gateway-node-http.ts");
  const message = await sh(consumer.dir, "node", [
    "--input-type=module",
    "-e",
    `import { registerInEtcd } from "@ts-gateway/runtime/etcd";
registerInEtcd({ etcd: { hosts: ["127.0.0.1:1"] }, service: "s", id: "1", address: "a:1" }).catch((e) => console.log(e.message));`,
  ]);
  assert.match(message, /needs "etcd3".*npm install etcd3/);
});

test("consumer 2, then without express and @types/express installed", async () => {
  assert.ok(nodeHttp !== undefined, "consumer 2 ran");
  await sh(nodeHttp.dir, "npm", [
    "uninstall",
    "express",
    "@types/express",
    "--no-audit",
    "--no-fund",
  ]);
  for (const name of ["express", "@types/express"]) {
    const resolves = sh(nodeHttp.dir, "node", ["-e", `require.resolve("${name}/package.json")`]);
    await assert.rejects(resolves, /Cannot find module/, `${name} is gone`);
  }
  await npmRun(nodeHttp, "typecheck");
  await serveAndRequest(nodeHttp, "src/gateway-node-http.ts");
});

test("consumer 3: an older grpc-js minor within the peer range", async () => {
  const consumer = await createConsumer("grpc-js-1.13", { extra: ["@grpc/grpc-js@~1.13.0"] });
  const tree = JSON.parse(
    await sh(consumer.dir, "npm", ["ls", "@grpc/grpc-js", "--all", "--json"]),
  );
  const versions = new Set<string>();
  const walk = (deps: Record<string, { version?: string; dependencies?: object }> = {}) => {
    for (const [name, dep] of Object.entries(deps)) {
      if (name === "@grpc/grpc-js" && dep.version !== undefined) versions.add(dep.version);
      walk(dep.dependencies as never);
    }
  };
  walk(tree.dependencies);
  assert.equal(versions.size, 1, `one grpc-js: ${[...versions].join(", ")}`);
  assert.match([...versions][0] ?? "", /^1\.13\./);
  await generate(consumer, "ts");
  await npmRun(consumer, "typecheck");
  await serveAndRequest(consumer, "src/gateway.ts");
});

test("consumer 4: the ts-gateway tarball, with no TypeScript, checks a config on a descriptor set", async () => {
  const dir = join(work, "gateway-cli");
  await mkdir(dir);
  await cp(join(repoRoot, "test/gateway/gen/inventory.binpb"), join(dir, "api.binpb"));
  const packed = JSON.parse(
    await sh(repoRoot, "npm", [
      "pack",
      "--json",
      "--pack-destination",
      work,
      "-w",
      "packages/gateway",
    ]),
  ) as Array<{ filename: string; files: Array<{ path: string }> }>;
  const gateway = packed[0];
  assert.ok(gateway !== undefined);
  const files = gateway.files.map((f) => f.path);
  for (const file of [
    "LICENSE",
    "README.md",
    "bin/ts-gateway",
    "dist/cli/cli.js",
    "dist/index.d.ts",
  ]) {
    assert.ok(files.includes(file), `${file} in the ts-gateway tarball`);
  }
  assert.deepEqual(
    files.filter((f) => f.endsWith(".map") || f.startsWith("src/")),
    [],
  );
  await writeFile(join(dir, "package.json"), '{ "name": "gateway-cli", "private": true }\n');
  // Our three packages from their tarballs (the gateway's dependencies on the other two included).
  await sh(dir, "npm", [
    "install",
    tarballs.runtime,
    tarballs.plugin,
    join(work, gateway.filename),
    "--prefer-offline",
    "--no-audit",
    "--no-fund",
  ]);
  await writeFile(
    join(dir, "gateway.yaml"),
    `server:
  listeners: [{ port: 8080 }]
backends:
  inventory:
    target: dns:///inventory:50051
services:
  - descriptorSet: api.binpb
    backend: inventory
`,
  );
  const out = await sh(dir, join(dir, "node_modules/.bin/ts-gateway"), ["check", "gateway.yaml"]);
  assert.match(
    out,
    /GET\s+\/v1\/items\/\{id\}\s+gateway\.v1\.InventoryService\s+GetItem\s+inventory/,
  );
  assert.match(out, /gateway\.yaml: ok, \d+ routes, backends inventory/);
});
