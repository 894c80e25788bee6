/**
 * The autocannon load generator as its own process: argv[2] is a LoadSpec as
 * JSON; prints a LoadResult as JSON. Used by load.ts when wrk is missing, and for
 * every fixed-rate run (Debian has no wrk2).
 */
import autocannon from "autocannon";
import type { LoadResult, LoadSpec } from "./load.js";

const spec = JSON.parse(process.argv[2] ?? "{}") as LoadSpec;
const result = await autocannon({
  url: spec.url,
  method: spec.method,
  connections: spec.connections,
  duration: spec.seconds,
  ...(spec.rate === undefined ? {} : { overallRate: spec.rate }),
  ...(spec.body === undefined
    ? {}
    : { body: spec.body, headers: { "content-type": "application/json" } }),
});
const out: LoadResult = {
  requests: result.requests.total,
  rps: result.requests.total / (result.duration || spec.seconds),
  p50: result.latency.p50,
  p99: result.latency.p99,
  errors: result.non2xx + result.errors + result.timeouts,
};
process.stdout.write(JSON.stringify(out));
