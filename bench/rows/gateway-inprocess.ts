import type { RequestListener } from "node:http";
import { Mux } from "@ts-gateway/runtime";
import { rateLimit } from "@ts-gateway/runtime/rate-limit";
import { benchJwtAuth } from "../auth-fixture.js";
import { benchServiceRoutes, registerBenchService } from "../gen/bench/v1/bench_gateway.js";
import { BenchImplementation } from "../service.js";
import { extraRoutes } from "../synthetic-routes.js";
import { validatedBenchService } from "../validated-service.js";

/**
 * Row 7: the generated routes bound to a local implementation (no gRPC hop)
 * on node:http. With `BENCH_ROUTES=n` the mux also holds generated-like routes
 * up to n in all, for the route-table scaling rows. `BENCH_POLICY=noop|auth|ratelimit`
 * puts one middleware in front (for `bench/ab.ts`: a policy's own cost,
 * without the gRPC hop's garbage collection); `BENCH_POLICY=validate` is the
 * no-op middleware plus `validate: true`, with buf.validate rules on the small
 * GET's request (see validated-service.ts), so that it differs from `noop` by
 * validation alone.
 */
export async function createRow(): Promise<RequestListener> {
  const validate = process.env.BENCH_POLICY === "validate";
  const mux = new Mux(validate ? { validate: true } : {});
  const implementation = new BenchImplementation();
  if (validate) {
    mux.register({ ...benchServiceRoutes, service: validatedBenchService() }, implementation);
  } else {
    registerBenchService(mux, implementation);
  }
  const total = Number(process.env.BENCH_ROUTES ?? 0);
  if (total > 3) mux.register(extraRoutes(total - 3), implementation);
  switch (process.env.BENCH_POLICY) {
    case "noop":
    case "validate":
      mux.use((_call, next) => next());
      break;
    case "ratelimit":
      mux.use(rateLimit({ points: 1e12, durationSec: 60, key: "ip" }));
      break;
    case "auth": {
      const { middleware, authorization } = await benchJwtAuth();
      mux.use(middleware);
      return (req, res) => {
        req.headers.authorization = authorization;
        mux.handle(req, res);
      };
    }
  }
  return mux.handler;
}
