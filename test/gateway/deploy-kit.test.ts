/**
 * deploy/: the Kubernetes manifests validate against the Kubernetes schemas
 * (kubernetes-models' JSON schemas), and agree with what the CLI serves: the
 * ConfigMap's gateway.yaml passes `ts-gateway check`, probe paths and ports are
 * the config's admin listener and health paths, the grace period covers drain
 * and grace, and every selector and reference points at an object that exists.
 */
import assert from "node:assert/strict";
import { mkdirSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { Deployment } from "kubernetes-models/apps/v1/Deployment";
import { HorizontalPodAutoscaler } from "kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1/PodDisruptionBudget";
import { ConfigMap } from "kubernetes-models/v1/ConfigMap";
import { Service } from "kubernetes-models/v1/Service";
import { parseAllDocuments } from "yaml";
import { parseConfig } from "../../packages/gateway/src/index.js";
import { bufBuild, makeWorkdir, repoRoot, runGateway } from "./support/processes.js";

const dir = join(repoRoot, "deploy/kubernetes");
const docs = readdirSync(dir)
  .filter((f) => f.endsWith(".yaml"))
  .flatMap((f) =>
    parseAllDocuments(readFileSync(join(dir, f), "utf8")).map((d) => ({
      file: f,
      object: d.toJS() as { apiVersion: string; kind: string; metadata: { name: string } },
    })),
  );

const models: Record<string, new (data: never) => { validate(): void }> = {
  "v1/ConfigMap": ConfigMap,
  "v1/Service": Service,
  "apps/v1/Deployment": Deployment,
  "policy/v1/PodDisruptionBudget": PodDisruptionBudget,
  "autoscaling/v2/HorizontalPodAutoscaler": HorizontalPodAutoscaler,
};

function one<T>(kind: string, name?: string): T {
  const found = docs.filter(
    (d) => d.object.kind === kind && (name === undefined || d.object.metadata.name === name),
  );
  assert.equal(found.length, 1, `one ${kind} ${name ?? ""}`);
  return found[0]!.object as T;
}

type Pod = {
  metadata: { labels: Record<string, string> };
  spec: {
    terminationGracePeriodSeconds: number;
    containers: {
      args: string[];
      ports: { name: string; containerPort: number }[];
      readinessProbe: { httpGet: { path: string; port: string } };
      livenessProbe: { httpGet: { path: string; port: string } };
      volumeMounts: { name: string; mountPath: string }[];
    }[];
    volumes: { name: string; configMap: { name: string } }[];
  };
};
type DeploymentDoc = { metadata: { name: string }; spec: { template: Pod } };

describe("deploy/kubernetes", () => {
  it("every manifest validates against the Kubernetes schema of its kind", () => {
    assert.equal(docs.length, 6, `found ${docs.length} objects`);
    for (const { file, object } of docs) {
      const Model = models[`${object.apiVersion}/${object.kind}`];
      assert.ok(Model, `${file}: no schema for ${object.apiVersion} ${object.kind}`);
      assert.doesNotThrow(() => new Model(object as never).validate(), `${file} ${object.kind}`);
    }
  });

  it("the validation catches a broken manifest", () => {
    const deployment = structuredClone(one<DeploymentDoc>("Deployment"));
    (
      deployment.spec.template.spec.containers[0]!.ports[0] as { containerPort: unknown }
    ).containerPort = "8080";
    assert.throws(() => new Deployment(deployment as never).validate(), /containerPort/);
  });

  it("the ConfigMap's config passes `ts-gateway check` with the example's descriptor set", () => {
    const configMap = one<{ data: Record<string, string> }>("ConfigMap");
    const text = configMap.data["gateway.yaml"]!;
    const work = makeWorkdir();
    mkdirSync(join(work.dir, "config"));
    mkdirSync(join(work.dir, "api"));
    const config = work.write("config/gateway.yaml", text);
    bufBuild("examples/library/proto/library/v1/library.proto", join(work.dir, "api/api.binpb"));
    const { status, stdout, stderr } = runGateway(["check", config], { GATEWAY_WORKERS: "2" });
    assert.equal(status, 0, stderr);
    assert.match(
      stdout,
      /GET\s+\/v1\/\{name=shelves\/\*\/books\/\*\}\s+library\.v1\.LibraryService\s+GetBook\s+library/,
    );
  });

  it("ports, probe paths, grace period, volumes and selectors match the config and each other", () => {
    const configMap = one<{ metadata: { name: string }; data: Record<string, string> }>(
      "ConfigMap",
    );
    const { config } = parseConfig(configMap.data["gateway.yaml"]!, "gateway.yaml", {});
    const deployment = one<DeploymentDoc>("Deployment", "library-gateway");
    const pod = deployment.spec.template;
    const container = pod.spec.containers[0]!;
    const port = (name: string) => container.ports.find((p) => p.name === name)?.containerPort;

    assert.equal(port("http"), config.server.listeners[0]?.port);
    assert.equal(port("admin"), config.admin?.listener?.port);
    assert.deepEqual(
      [container.readinessProbe.httpGet.port, container.readinessProbe.httpGet.path],
      ["admin", "/readyz"],
    );
    assert.deepEqual(
      [container.livenessProbe.httpGet.port, container.livenessProbe.httpGet.path],
      ["admin", "/livez"],
    );
    assert.equal(config.admin?.paths, undefined, "probes use the default health paths");

    const drainAndGrace =
      (config.shutdown?.drainDelayMs ?? 5000) + (config.shutdown?.gracePeriodMs ?? 20_000);
    assert.ok(pod.spec.terminationGracePeriodSeconds * 1000 > drainAndGrace);

    // The config file the container runs is the ConfigMap's key, where it is mounted.
    const configArg = container.args[1]!;
    const mount = container.volumeMounts.find((m) => configArg.startsWith(`${m.mountPath}/`))!;
    const volume = pod.spec.volumes.find((v) => v.name === mount.name)!;
    assert.equal(volume.configMap.name, configMap.metadata.name);
    assert.equal(configArg.slice(mount.mountPath.length + 1), "gateway.yaml");

    const labels = pod.metadata.labels;
    const matches = (selector: Record<string, string>) =>
      Object.entries(selector).every(([k, v]) => labels[k] === v);
    const service = one<{
      spec: { selector: Record<string, string>; ports: { targetPort: string }[] };
    }>("Service", "library-gateway");
    assert.ok(matches(service.spec.selector));
    assert.equal(port(service.spec.ports[0]!.targetPort), config.server.listeners[0]?.port);
    const pdb = one<{ spec: { selector: { matchLabels: Record<string, string> } } }>(
      "PodDisruptionBudget",
    );
    assert.ok(matches(pdb.spec.selector.matchLabels));
    const hpa = one<{
      spec: {
        scaleTargetRef: { kind: string; name: string };
        metrics: { type: string; pods?: { metric: { name: string } } }[];
      };
    }>("HorizontalPodAutoscaler");
    assert.deepEqual(hpa.spec.scaleTargetRef.name, deployment.metadata.name);
    assert.ok(hpa.spec.metrics.some((m) => m.type === "Resource"));
    assert.ok(hpa.spec.metrics.some((m) => m.pods?.metric.name === "http_requests_per_second"));

    // Backends: a headless Service whose DNS name the config's dns:/// target uses.
    const backend = one<{
      metadata: { name: string };
      spec: { clusterIP: string; ports: { port: number }[] };
    }>("Service", "library-backend");
    assert.equal(backend.spec.clusterIP, "None");
    assert.equal(
      config.backends.library?.target,
      `dns:///${backend.metadata.name}.default.svc.cluster.local:${backend.spec.ports[0]!.port}`,
    );
  });
});

describe("deploy/Dockerfile", () => {
  const dockerfile = readFileSync(join(repoRoot, "deploy/Dockerfile"), "utf8");
  it("is multi-stage, runs as a non-root user, has a HEALTHCHECK on the sample config's /livez", () => {
    assert.ok((dockerfile.match(/^FROM /gm) ?? []).length >= 2);
    assert.match(dockerfile, /^USER node$/m);
    // The README's sample config has no admin listener: /livez is on the API port.
    assert.match(dockerfile, /^HEALTHCHECK [\s\S]*'http:\/\/127\.0\.0\.1:8080\/livez'/m);
    // The install steps are the scripts the image-install consumer test runs.
    assert.match(dockerfile, /^RUN sh deploy\/pack\.sh \/out$/m);
    assert.match(dockerfile, /^RUN sh \/tmp\/install\.sh \/usr\/local /m);
    const deployment = one<DeploymentDoc>("Deployment");
    const cmd = dockerfile.match(/^CMD (\[.*\])$/m)?.[1];
    assert.deepEqual(JSON.parse(cmd ?? "[]"), deployment.spec.template.spec.containers[0]!.args);
  });
});
