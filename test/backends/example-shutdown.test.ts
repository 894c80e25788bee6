/** `npm start` (examples/library/src/main.ts) shuts down gracefully on SIGTERM. */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { it } from "node:test";
import { fileURLToPath } from "node:url";

const main = fileURLToPath(new URL("../../examples/library/src/main.ts", import.meta.url));

it("SIGTERM: /readyz turns 503 while requests are still served, then the process exits 0", async () => {
  const child = spawn(process.execPath, ["--import", "tsx", main], {
    env: { ...process.env, PORT: "0", GRPC_PORT: "0", DRAIN_DELAY_MS: "1500" },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const exited = once(child, "exit");
  let out = "";
  child.stdout.on("data", (chunk: Buffer) => {
    out += chunk.toString();
  });
  try {
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no gateway URL in time: ${out}`)), 20_000);
      child.stdout.on("data", () => {
        const match = /REST gateway\s+(http:\/\/\S+)/.exec(out);
        if (match?.[1]) {
          clearTimeout(timer);
          resolve(match[1]);
        }
      });
    });
    const status = async (path: string, init?: RequestInit) =>
      (await fetch(`${url}${path}`, init)).status;
    // Ready once the balancer has a healthy endpoint.
    const end = Date.now() + 10_000;
    while ((await status("/readyz")) !== 200) {
      assert.ok(Date.now() < end, "never ready");
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(await status("/healthz"), 200);

    child.kill("SIGTERM");
    // During the drain delay: not ready, but still serving the API.
    const drainEnd = Date.now() + 1000;
    while ((await status("/readyz")) !== 503) {
      assert.ok(Date.now() < drainEnd, "readyz did not turn 503");
      await new Promise((r) => setTimeout(r, 20));
    }
    const created = await fetch(`${url}/v1/shelves`, {
      method: "POST",
      headers: { "content-type": "application/json", connection: "close" },
      body: '{"theme":"Drain"}',
    });
    assert.equal(created.status, 201);

    const [code] = (await exited) as [number | null];
    assert.equal(code, 0);
    assert.match(out, /stopped \(SIGTERM\)/);
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  }
});
