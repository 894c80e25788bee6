// The container image's install, performed as deploy/Dockerfile performs it but
// without a container engine: deploy/pack.sh (one tarball, the runtime and the
// plugin bundled) and deploy/install.sh (`npm install --global --prefix <p>
// --omit=dev`), the same two scripts the Dockerfile runs. Then, from that
// prefix only: `ts-gateway --version`, `check` and `serve` of the README's
// sample config (with metrics, the docs page and WebSocket on, so the runtime's
// optional peers are loaded), the Dockerfile's HEALTHCHECK command against it,
// and SIGTERM.
//
// It needs the npm registry: `npm run test:consumer` (CI runs it after npm test).
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { promisify } from "node:util";
import {
  buildDescriptorSet,
  repoRoot,
  startChild,
  startPlainBackend,
  stopAll,
} from "../gateway/support/processes.js";
import { freePort } from "../support/wait.js";

const execFileAsync = promisify(execFile);

async function sh(
  command: string,
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<string> {
  try {
    const { stdout } = await execFileAsync(command, args, {
      cwd: options.cwd ?? repoRoot,
      timeout: options.timeoutMs ?? 300_000,
      maxBuffer: 16 * 1024 * 1024,
      env: { ...process.env, ...options.env },
    });
    return stdout;
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${command} ${args.join(" ")}: ${e.message}\n${e.stdout}\n${e.stderr}`);
  }
}

const dockerfile = await readFile(join(repoRoot, "deploy/Dockerfile"), "utf8");
let work: string;
let bin: string;

before(async () => {
  work = await mkdtemp(join(tmpdir(), "ts-gateway-image-"));
  await sh("sh", ["deploy/pack.sh", join(work, "pkgs")]);
  const tarballs = await readdir(join(work, "pkgs"));
  assert.deepEqual(tarballs, ["ts-gateway-0.1.0.tgz"], "one tarball");
  await sh("sh", ["deploy/install.sh", join(work, "prefix"), join(work, "pkgs", tarballs[0]!)], {
    env: { NPM_INSTALL_FLAGS: "--prefer-offline" },
  });
  bin = join(work, "prefix/bin/ts-gateway");
});

after(async () => {
  await stopAll();
  if (work !== undefined) await rm(work, { recursive: true, force: true });
});

test("the Dockerfile installs with the scripts this test runs", () => {
  assert.match(dockerfile, /^RUN sh deploy\/pack\.sh \/out$/m);
  assert.match(
    dockerfile,
    /^RUN sh \/tmp\/install\.sh \/usr\/local \/tmp\/pkgs\/ts-gateway-\*\.tgz/m,
  );
});

test("ts-gateway --version, check and serve from the global prefix", async () => {
  const version = (await sh(bin, ["--version"], { cwd: work })).trim();
  const pkg = JSON.parse(await readFile(join(repoRoot, "packages/gateway/package.json"), "utf8"));
  assert.equal(version, pkg.version);

  // The README's sample config, plus the sections whose libraries are optional peers of the runtime.
  const readme = await readFile(join(repoRoot, "docs/standalone.md"), "utf8");
  const section = readme.slice(readme.indexOf("<!-- section:run-gateway -->"));
  const sample = /```yaml\n([\s\S]*?)```/.exec(section)?.[1]?.replace(/^ {3}/gm, "");
  assert.ok(sample, "the README's sample config");
  buildDescriptorSet(join(work, "api.binpb"));
  const config = join(work, "gateway.yaml");
  await writeFile(
    config,
    `${sample}docs: true\nmetrics: {}\n`.replace(/^server:\n/m, "server:\n  webSocket: true\n"),
  );
  const backend = await startPlainBackend("image");
  const port = await freePort();
  const env = { PORT: String(port), LIBRARY_BACKEND: `127.0.0.1:${backend.port}` };

  const checked = await sh(bin, ["check", config], { cwd: work, env });
  assert.match(checked, /gateway\.v1\.InventoryService/);

  const gateway = startChild(bin, ["serve", config], { env, cwd: work });
  await gateway.waitFor(/^listening /m, 60_000);
  const base = `http://127.0.0.1:${port}`;
  const signal = () => AbortSignal.timeout(10_000);
  assert.equal((await fetch(`${base}/v1/items/a`, { signal: signal() })).status, 200);
  assert.equal((await fetch(`${base}/metrics`, { signal: signal() })).status, 200);
  assert.equal((await fetch(`${base}/docs`, { signal: signal() })).status, 200);

  // The HEALTHCHECK's own command, run as Docker would (exec form).
  const healthcheck = JSON.parse(/^HEALTHCHECK [^[]*(\[.*\])$/m.exec(dockerfile)?.[1] ?? "[]");
  assert.equal(healthcheck[0], "node");
  const probe = (url: string) =>
    sh(process.execPath, healthcheck.slice(1), { env: { HEALTHCHECK_URL: url } }).then(
      () => 0,
      () => 1,
    );
  assert.equal(await probe(`${base}/livez`), 0, "healthy");
  assert.equal(await probe(`http://127.0.0.1:${await freePort()}/livez`), 1, "nothing listening");

  gateway.process.kill("SIGTERM");
  assert.equal(await gateway.exited, 0, gateway.output());
});
