// The observability deploy files: the Prometheus alerting rules pass
// `promtool check rules` and fire in `promtool test rules`; the Prometheus
// Adapter rule has the adapter's shape, names the real counter and its query
// parses as PromQL; the Grafana dashboard is valid JSON whose queries parse
// and name only metrics the gateway exports.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { createChannel } from "@ts-gateway/runtime/balancer";
import { gatewayMetrics } from "@ts-gateway/runtime/metrics";
import { parse } from "yaml";
import { tool } from "../support/tools.js";

const deploy = fileURLToPath(new URL("../../deploy/", import.meta.url));
const run = promisify(execFile);

const { bin: promtool, skip } = tool("promtool");

/** Every series name the gateway exports (histograms as their _bucket/_sum/_count). */
async function exportedNames(): Promise<Set<string>> {
  const channel = createChannel(["127.0.0.1:1"], { name: "probe" });
  try {
    const metrics = gatewayMetrics({ backends: [channel] });
    const names = new Set<string>();
    for (const m of await metrics.registry.getMetricsAsJSON()) {
      names.add(m.name);
      if (String(m.type) === "histogram") {
        for (const suffix of ["_bucket", "_sum", "_count"]) names.add(m.name + suffix);
      }
    }
    return names;
  } finally {
    channel.close();
  }
}

/** Metric names a PromQL expression reads: the gateway's, the process collector's. */
function metricNamesIn(expr: string): string[] {
  return [...expr.matchAll(/\b(grpc_gateway_\w+|process_\w+|nodejs_\w+)/g)].map((m) => m[1] ?? "");
}

const tmp = mkdtempSync(join(tmpdir(), "gw-deploy-"));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** `promtool check rules` on recording rules made of `exprs`: fails on any PromQL syntax error. */
async function checkPromQL(name: string, exprs: readonly string[]): Promise<void> {
  const file = join(tmp, `${name}.yaml`);
  const rules = exprs.map((expr, i) => ({ record: `check:${name}:${i}`, expr }));
  writeFileSync(file, JSON.stringify({ groups: [{ name, rules }] }));
  await run(promtool as string, ["check", "rules", file]);
}

const alertsFile = join(deploy, "prometheus/alerts.yaml");
const adapterFile = join(deploy, "prometheus/adapter-rules.yaml");
const dashboardFile = join(deploy, "grafana/gateway-dashboard.json");

describe("prometheus alerting rules", () => {
  test("promtool check rules", { skip }, async () => {
    const { stdout } = await run(promtool as string, ["check", "rules", alertsFile]);
    assert.match(stdout, /SUCCESS: 5 rules found/);
  });

  test("promtool test rules: each alert fires on its series, not on a healthy gateway", {
    skip,
  }, async () => {
    const { stdout } = await run(promtool as string, ["test", "rules", "alerts.test.yaml"], {
      cwd: join(deploy, "prometheus"),
    });
    assert.match(stdout, /SUCCESS/);
  });

  test("the alerts cover the issue's list and read only exported metrics", async () => {
    const names = await exportedNames();
    const doc = parse(readFileSync(alertsFile, "utf8")) as {
      groups: Array<{ rules: Array<{ alert: string; expr: string }> }>;
    };
    const rules = doc.groups.flatMap((g) => g.rules);
    assert.deepEqual(
      rules.map((r) => r.alert),
      [
        "GatewayHighErrorRatio",
        "GatewayHighLatencyP99",
        "GatewayBackendNoHealthyEndpoint",
        "GatewayBackendEndpointsDown",
        "GatewayCircuitBreakerOpen",
      ],
    );
    for (const rule of rules) {
      const used = metricNamesIn(rule.expr);
      assert.ok(used.length > 0, `${rule.alert} reads no gateway metric`);
      for (const name of used) assert.ok(names.has(name), `${rule.alert}: ${name} is not exported`);
    }
  });
});

describe("prometheus adapter rule", () => {
  const doc = parse(readFileSync(adapterFile, "utf8")) as {
    rules: Array<{
      seriesQuery: string;
      resources: { overrides: Record<string, { resource: string }> };
      name: { matches: string; as: string };
      metricsQuery: string;
    }>;
  };
  const rule = doc.rules[0];

  test("turns grpc_gateway_requests_total into the http_requests_per_second pods metric", async () => {
    assert.equal(doc.rules.length, 1);
    assert.ok(rule);
    const names = await exportedNames();
    const [series] = metricNamesIn(rule.seriesQuery);
    assert.equal(series, "grpc_gateway_requests_total");
    assert.ok(names.has(series));
    assert.deepEqual(rule.resources.overrides, {
      namespace: { resource: "namespace" },
      pod: { resource: "pod" },
    });
    assert.equal(rule.name.as, "http_requests_per_second");
    assert.ok(new RegExp(rule.name.matches).test(series), "name.matches selects the counter");
    for (const placeholder of ["<<.Series>>", "<<.LabelMatchers>>", "<<.GroupBy>>"]) {
      assert.ok(rule.metricsQuery.includes(placeholder), `metricsQuery lacks ${placeholder}`);
    }
    // The HPA in deploy/kubernetes (when present) scales on this very name.
    const hpa = join(deploy, "kubernetes/hpa.yaml");
    let hpaText: string | undefined;
    try {
      hpaText = readFileSync(hpa, "utf8");
    } catch {}
    if (hpaText !== undefined) assert.match(hpaText, /http_requests_per_second/);
  });

  test("its metricsQuery, templated as the adapter does, is valid PromQL", { skip }, async () => {
    assert.ok(rule);
    const query = rule.metricsQuery
      .replace("<<.Series>>", "grpc_gateway_requests_total")
      .replace("<<.LabelMatchers>>", 'namespace="default",pod=~"gw-.*"')
      .replace("<<.GroupBy>>", "pod");
    await checkPromQL("adapter", [query]);
  });
});

describe("grafana dashboard", () => {
  const dashboard = JSON.parse(readFileSync(dashboardFile, "utf8")) as {
    uid: string;
    panels: Array<{ id: number; type: string; title: string; targets?: Array<{ expr: string }> }>;
  };
  const targets = dashboard.panels.flatMap((p) =>
    (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr })),
  );

  test("panels have unique ids, and every non-row panel a query", () => {
    const ids = dashboard.panels.map((p) => p.id);
    assert.equal(new Set(ids).size, ids.length);
    for (const panel of dashboard.panels) {
      if (panel.type !== "row") assert.ok((panel.targets ?? []).length > 0, panel.title);
    }
    const titles = dashboard.panels.map((p) => p.title).join("\n");
    for (const topic of [
      /Requests per second/,
      /5xx/,
      /p99 latency by route/,
      /Active streams/,
      /Backend endpoints/,
    ]) {
      assert.match(titles, topic);
    }
  });

  test("every metric it queries is one the gateway exports", async () => {
    const names = await exportedNames();
    for (const { panel, expr } of targets) {
      const used = metricNamesIn(expr);
      assert.ok(used.length > 0, `${panel}: no gateway metric in ${expr}`);
      for (const name of used) assert.ok(names.has(name), `${panel}: ${name} is not exported`);
    }
  });

  test("its queries, with Grafana's variables filled in, are valid PromQL", { skip }, async () => {
    const exprs = targets.map(({ expr }) =>
      expr.replaceAll("$__rate_interval", "1m").replaceAll("$job", ".*").replaceAll("$route", ".*"),
    );
    await checkPromQL("dashboard", exprs);
  });
});
