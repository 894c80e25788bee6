import cluster, { type Worker } from "node:cluster";
import type { IncomingMessage, ServerResponse } from "node:http";
import { AggregatorRegistry, type Registry } from "prom-client";
import type { PrimaryMessageHandler } from "./workers.js";

// `/metrics` with workers: a scrape reaches one worker (the kernel picks), so
// that worker asks the primary, whose prom-client `AggregatorRegistry` asks
// every worker for its registry over the cluster IPC channel and sums them.
// Scrapes arriving while an aggregation runs share its result.

/** A worker asks the primary for the cluster's metrics. */
interface MetricsRequest {
  readonly type: "ts-gateway:metrics-request";
  readonly id: number;
}

/** The primary's answer: the aggregated text, or why there is none. */
interface MetricsResponse {
  readonly type: "ts-gateway:metrics-response";
  readonly id: number;
  readonly text?: string;
  readonly error?: string;
}

/** prom-client gives up on a worker that does not answer in 5 s; a scrape waits a little longer. */
const scrapeTimeoutMs = 7000;
/** Scrapes waiting on one worker at most; more answer 503 (Prometheus scrapes once per interval). */
const maxPendingScrapes = 16;

/**
 * The primary's side: answers workers' metrics requests with the sum of every
 * worker's registry. Give it to `runPrimary` as `onMessage`.
 */
export function primaryMetricsAggregator(): PrimaryMessageHandler {
  const aggregator = new AggregatorRegistry();
  let running: Promise<string> | undefined;
  return (worker: Worker, message: unknown) => {
    if (!isMessage<MetricsRequest>(message, "ts-gateway:metrics-request")) return;
    running ??= aggregator.clusterMetrics().finally(() => {
      running = undefined;
    });
    const reply = (answer: { text: string } | { error: string }): void => {
      if (!worker.isConnected()) return;
      const response: MetricsResponse = {
        type: "ts-gateway:metrics-response",
        id: message.id,
        ...answer,
      };
      worker.send(response, (err: Error | null) => {
        if (err !== null) return; // the worker is gone; its scrape ends with it
      });
    };
    running.then(
      (text) => reply({ text }),
      (err: unknown) => reply({ error: err instanceof Error ? err.message : String(err) }),
    );
  };
}

/**
 * A worker's side: makes `registry` the one the primary collects, and returns
 * the `/metrics` handler that answers with the whole cluster's metrics.
 */
export function workerMetricsHandler(
  registry: Registry,
): (req: IncomingMessage, res: ServerResponse) => void {
  AggregatorRegistry.setRegistries([registry]);
  // Constructing one installs prom-client's worker listener (it answers the primary's collection requests).
  new AggregatorRegistry();
  const pending = new Map<number, (answer: MetricsResponse | undefined) => void>();
  let nextId = 0;
  process.on("message", (message: unknown) => {
    if (!isMessage<MetricsResponse>(message, "ts-gateway:metrics-response")) return;
    pending.get(message.id)?.(message);
  });

  return (_req, res) => {
    const send = (status: number, contentType: string, body: string): void => {
      if (res.writableEnded || res.destroyed) return;
      res.statusCode = status;
      res.setHeader("Content-Type", contentType);
      res.setHeader("Cache-Control", "no-store");
      res.end(body);
    };
    const text = "text/plain; charset=utf-8";
    if (pending.size >= maxPendingScrapes || process.send === undefined || !cluster.isWorker) {
      send(503, text, "metrics collection busy\n");
      return;
    }
    const id = nextId++;
    const timer = setTimeout(() => finish(undefined), scrapeTimeoutMs);
    const finish = (answer: MetricsResponse | undefined): void => {
      clearTimeout(timer);
      pending.delete(id);
      if (answer?.text !== undefined) send(200, registry.contentType, answer.text);
      else send(503, text, `metrics collection failed: ${answer?.error ?? "timed out"}\n`);
    };
    pending.set(id, finish);
    const request: MetricsRequest = { type: "ts-gateway:metrics-request", id };
    process.send(request, undefined, {}, (err: Error | null) => {
      if (err !== null) finish({ type: "ts-gateway:metrics-response", id, error: err.message });
    });
  };
}

function isMessage<T extends { type: string }>(message: unknown, type: T["type"]): message is T {
  return (
    typeof message === "object" && message !== null && (message as { type?: unknown }).type === type
  );
}
