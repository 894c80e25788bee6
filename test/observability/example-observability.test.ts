// `npm start` (examples/library/src/main.ts): /metrics serves the gateway's
// counters and the balanced channel's endpoints, and every API call is one
// JSON log line on stdout (pino's async destination, flushed on SIGTERM).
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const main = fileURLToPath(new URL("../../examples/library/src/main.ts", import.meta.url));

test("the example serves /metrics and logs each request as JSON", async () => {
  const child = spawn(process.execPath, ["--import", "tsx", main], {
    env: { ...process.env, PORT: "0", GRPC_PORT: "0" },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const exited = once(child, "exit");
  let out = "";
  child.stdout.on("data", (chunk: Buffer) => {
    out += chunk.toString();
  });
  try {
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no gateway URL in time: ${out}`)), 30_000);
      child.stdout.on("data", () => {
        const match = /REST gateway\s+(http:\/\/\S+)/.exec(out);
        if (match?.[1]) {
          clearTimeout(timer);
          resolve(match[1]);
        }
      });
    });
    assert.match(out, /metrics: \/metrics/);
    const end = Date.now() + 10_000;
    while ((await fetch(`${url}/readyz`)).status !== 200) {
      assert.ok(Date.now() < end, "never ready");
      await new Promise((r) => setTimeout(r, 50));
    }
    const created = await fetch(`${url}/v1/shelves`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-request-id": "req-42" },
      body: '{"theme":"Logs"}',
    });
    assert.equal(created.status, 201);
    assert.equal(created.headers.get("x-request-id"), "req-42");
    const missing = await fetch(`${url}/v1/shelves/999`);
    assert.equal(missing.status, 404);
    await missing.text();

    const metrics = await (await fetch(`${url}/metrics`)).text();
    assert.match(
      metrics,
      /grpc_gateway_requests_total\{service="library\.v1\.LibraryService",method="CreateShelf",route="\/v1\/shelves",http_method="POST",protocol="rest",http_status="201",grpc_code="OK"\} 1/,
    );
    assert.match(
      metrics,
      /grpc_gateway_requests_total\{.*route="\/v1\/\{name=shelves\/\*\}".*http_status="404",grpc_code="NOT_FOUND"\} 1/,
    );
    assert.match(metrics, /grpc_gateway_backend_ready\{backend="library"\} 1/);
    assert.match(metrics, /process_cpu_seconds_total/);

    child.kill("SIGTERM");
    const [code] = (await Promise.race([
      exited,
      new Promise((_, reject) => setTimeout(() => reject(new Error("no exit in 20 s")), 20_000)),
    ])) as [number | null];
    assert.equal(code, 0);
    const lines = out
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const post = lines.find((l) => l.req_id === "req-42");
    assert.ok(post, `no log line for req-42 in:\n${out}`);
    assert.equal(post.route, "/v1/shelves");
    assert.equal(post.rpc, "CreateShelf");
    assert.equal(post.status, 201);
    assert.equal(post.level, 30);
    assert.equal(typeof post.time, "number");
    const notFound = lines.find((l) => l.path === "/v1/shelves/999");
    assert.equal(notFound?.grpc_code, "NOT_FOUND");
    // Probes and scrapes are not logged; the shutdown line made it out (flushed).
    assert.equal(lines.filter((l) => l.path === "/readyz" || l.path === "/metrics").length, 0);
    assert.ok(lines.some((l) => l.msg === "stopped" && l.reason === "SIGTERM"));
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  }
});
