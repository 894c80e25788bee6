// A real Prometheus (Debian's `prometheus`) scrapes the gateway every second
// while the test sends a known load over two routes plus some 404s; PromQL
// through its HTTP API must then agree with what was sent: the counters
// exactly, `rate()` within a stated tolerance, the p99 from the histogram
// within the client-observed range.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { defaultDurationBuckets, mountMetrics } from "@ts-gateway/runtime/metrics";
import { type PipelineGateway, startPipelineGateway } from "../pipeline/pipeline-fixture.js";
import { tool } from "../support/tools.js";
import { eventually, freePort, sleep } from "../support/wait.js";

const { bin: prometheusBin, skip } = tool("prometheus");

let g: PipelineGateway;
let prometheus: ChildProcess | undefined;
let promUrl = "";
let dir = "";
let promLog = "";

/** One instant query; returns the result vector. */
async function query(
  promql: string,
  time?: number,
): Promise<Array<{ metric: Record<string, string>; value: [number, string] }>> {
  const params = new URLSearchParams({ query: promql });
  if (time !== undefined) params.set("time", String(time));
  const res = await fetch(`${promUrl}/api/v1/query?${params}`);
  const body = (await res.json()) as {
    status: string;
    error?: string;
    data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> };
  };
  assert.equal(body.status, "success", `${promql}: ${body.error}`);
  return body.data.result;
}

async function scalar(promql: string, time?: number): Promise<number | undefined> {
  const result = await query(promql, time);
  return result.length === 1 ? Number(result[0]?.value[1]) : undefined;
}

before(async () => {
  if (skip) return;
  g = await startPipelineGateway("remote", []);
  mountMetrics(g.mux, { collectDefaultMetrics: false });
  dir = mkdtempSync(join(tmpdir(), "gw-prometheus-"));
  const config = join(dir, "prometheus.yml");
  writeFileSync(
    config,
    [
      "global:",
      "  scrape_interval: 1s",
      "  evaluation_interval: 1s",
      "scrape_configs:",
      "  - job_name: gateway",
      "    scrape_timeout: 900ms",
      "    static_configs:",
      `      - targets: ["${new URL(g.url).host}"]`,
      "",
    ].join("\n"),
  );
  const port = await freePort();
  promUrl = `http://127.0.0.1:${port}`;
  prometheus = spawn(
    prometheusBin as string,
    [
      `--config.file=${config}`,
      `--storage.tsdb.path=${join(dir, "data")}`,
      `--web.listen-address=127.0.0.1:${port}`,
      "--log.level=warn",
    ],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  prometheus.stderr?.on("data", (chunk: Buffer) => {
    promLog += chunk.toString();
  });
  await eventually(
    async () => {
      if (prometheus?.exitCode !== null) assert.fail(`prometheus exited: ${promLog}`);
      const res = await fetch(`${promUrl}/-/ready`).catch(() => undefined);
      return res?.status === 200;
    },
    30_000,
    "prometheus ready",
  );
  await eventually(
    async () => (await scalar('up{job="gateway"}').catch(() => undefined)) === 1,
    20_000,
    "the gateway target up",
  );
});

after(async () => {
  if (prometheus !== undefined && prometheus.exitCode === null) {
    const exited = once(prometheus, "exit");
    prometheus.kill("SIGTERM");
    const timer = setTimeout(() => prometheus?.kill("SIGKILL"), 5_000);
    await exited;
    clearTimeout(timer);
  }
  await g?.close();
  if (dir !== "") rmSync(dir, { recursive: true, force: true });
});

test("PromQL over a real Prometheus agrees with the load sent", { skip }, async (t) => {
  // The load: every 100 ms one GET and one POST; every 500 ms a request no route matches.
  const loadMs = 8_000;
  const sent = { get: 0, post: 0, unmatched: 0 };
  const completedAt: number[] = [];
  let maxLatency = 0;
  const timed = async (url: string, init?: RequestInit) => {
    const start = performance.now();
    const res = await fetch(url, init);
    await res.arrayBuffer();
    maxLatency = Math.max(maxLatency, (performance.now() - start) / 1000);
    completedAt.push(Date.now() / 1000);
    return res.status;
  };
  const start = Date.now();
  for (let tick = 0; Date.now() - start < loadMs; tick++) {
    const next = start + (tick + 1) * 100;
    const calls = [
      timed(`${g.url}/v1/echo/t${tick}`).then((s) => {
        assert.equal(s, 200);
        sent.get++;
      }),
      timed(`${g.url}/v1/echo`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: `{"text":"t${tick}"}`,
      }).then((s) => {
        assert.equal(s, 200);
        sent.post++;
      }),
    ];
    if (tick % 5 === 0) {
      calls.push(
        timed(`${g.url}/v1/no/such/route/${tick}`).then((s) => {
          assert.equal(s, 404);
          sent.unmatched++;
        }),
      );
    }
    await Promise.all(calls);
    await sleep(Math.max(0, next - Date.now()));
  }
  const loadEnd = Date.now() / 1000;

  // Counters: exactly what was sent, once a scrape after the load landed.
  const api = 'route!="/metrics"';
  const total = sent.get + sent.post + sent.unmatched;
  await eventually(
    async () => (await scalar(`sum(grpc_gateway_requests_total{${api}})`)) === total,
    10_000,
    `sum of the counters = ${total}`,
  );
  const byRoute = await query(
    `sum by (route, http_method, http_status) (grpc_gateway_requests_total{${api}})`,
  );
  const counts = Object.fromEntries(
    byRoute.map((r) => [
      `${r.metric.http_method} ${r.metric.route} ${r.metric.http_status}`,
      Number(r.value[1]),
    ]),
  );
  assert.deepEqual(counts, {
    "GET /v1/echo/{text} 200": sent.get,
    "POST /v1/echo 200": sent.post,
    "GET (unmatched) 404": sent.unmatched,
  });

  // rate() over the load's last 5 s against the client's own count of
  // requests completed in that window. Tolerance ±30%: with 1 s scrapes a
  // 5 s window holds 4-5 samples and rate() extrapolates to the window's
  // edges (up to one interval, 20%), and scrape times jitter on a busy machine.
  const at = loadEnd - 0.5;
  const rate = await scalar(`sum(rate(grpc_gateway_requests_total{${api}}[5s]))`, at);
  const expected = completedAt.filter((t) => t > at - 5 && t <= at).length / 5;
  assert.ok(rate !== undefined, "no rate");
  t.diagnostic(`rate ${rate.toFixed(2)}/s vs client-side ${expected.toFixed(2)}/s`);
  assert.ok(
    Math.abs(rate - expected) <= 0.3 * expected,
    `rate ${rate.toFixed(2)}/s, client-side ${expected.toFixed(2)}/s (sent ${JSON.stringify(sent)})`,
  );

  // p99 from the histogram: positive, and no higher than the bucket bound
  // above the slowest latency a client saw (server durations are shorter).
  const p99 = await scalar(
    `histogram_quantile(0.99, sum by (le) (rate(grpc_gateway_request_duration_seconds_bucket{${api}}[8s])))`,
    loadEnd,
  );
  const bound = defaultDurationBuckets.find((b) => b >= maxLatency) ?? Number.POSITIVE_INFINITY;
  assert.ok(p99 !== undefined && p99 > 0, `p99 ${p99}`);
  t.diagnostic(`p99 ${p99.toFixed(4)} s, slowest client latency ${maxLatency.toFixed(4)} s`);
  assert.ok(p99 <= bound, `p99 ${p99}s above ${bound}s (slowest client latency ${maxLatency}s)`);
});
