// One gateway node of the two-node rate-limit test, run as a child process:
// a mux with a rate limit shared through the Redis on port argv[2], failing
// open or closed (argv[3]). Prints {"url": …} once listening and connected to Redis; the rate
// limiter's log lines go to stderr.

import { rateLimit } from "@ts-gateway/runtime/rate-limit";
import { Redis } from "ioredis";
import { startPipelineGateway } from "../pipeline/pipeline-fixture.js";

const port = Number(process.argv[2]);
const failure = process.argv[3] === "closed" ? "closed" : "open";
const redis = new Redis({
  host: "127.0.0.1",
  port,
  enableOfflineQueue: false,
  commandTimeout: 500,
  maxRetriesPerRequest: 1,
  retryStrategy: () => 100,
});
redis.on("error", () => {}); // reported by the rate limiter when it matters
const g = await startPipelineGateway("local", [
  rateLimit({
    points: 10,
    durationSec: 30,
    key: { header: "x-tenant" },
    store: { redis, failure },
    log: (message) => console.error(message),
  }),
]);
// Listening only counts once Redis is reachable: before, calls go to the insurance limiter.
await new Promise<void>((resolve) => {
  if (redis.status === "ready") return resolve();
  redis.once("ready", () => resolve());
  setTimeout(resolve, 10_000).unref();
});
process.stdout.write(`${JSON.stringify({ url: g.url })}\n`);
process.on("SIGTERM", () => {
  redis.disconnect();
  void g.close().then(() => process.exit(0));
});
