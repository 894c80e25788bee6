import * as grpc from "@grpc/grpc-js";
import { Code, RpcError } from "@ts-gateway/runtime";
import { addHealthService, type HealthService } from "@ts-gateway/runtime/health";
import { addHaService, type HaServiceApi } from "../gen/ha/v1/ha_gateway.js";
import { sleep } from "./wait.js";

/** A replica of `ha.v1.HaService` (with the standard health service) on 127.0.0.1. */
export interface HaBackend {
  readonly id: string;
  readonly port: number;
  readonly address: string;
  readonly server: grpc.Server;
  readonly health: HealthService;
  /** Calls served, all methods. */
  readonly served: () => number;
  stop(): Promise<void>;
}

/**
 * Starts a replica; `slowMs` is the extra delay of SlowWhoAmI (and of every call with `delayAll`);
 * with `failAll` WhoAmI and SlowWhoAmI answer UNAVAILABLE while health stays SERVING.
 */
export async function startHaBackend(
  id: string,
  options: { port?: number; slowMs?: number; delayAll?: boolean; failAll?: boolean } = {},
): Promise<HaBackend> {
  let served = 0;
  const failures = new Map<string, number>();
  const answer = () => ({ id, served: BigInt(++served) });
  const flaky = async (request: { key: string; failFirst: number }) => {
    const seen = failures.get(request.key) ?? 0;
    failures.set(request.key, seen + 1);
    if (seen < request.failFirst)
      throw new RpcError(`${id}: failing call ${seen + 1} of ${request.key}`, Code.Unavailable);
    return answer();
  };
  const delay = async (slow: boolean) => {
    if (options.failAll) throw new RpcError(`${id} is failing`, Code.Unavailable);
    const ms = slow || options.delayAll ? (options.slowMs ?? 0) : 0;
    if (ms > 0) await sleep(ms);
  };
  const implementation: HaServiceApi = {
    async whoAmI() {
      await delay(false);
      return answer();
    },
    async slowWhoAmI() {
      await delay(true);
      return answer();
    },
    flaky,
    flakyPost: flaky,
    flakyDeclared: flaky,
  };
  const server = new grpc.Server();
  addHaService(server, implementation);
  const health = addHealthService(server);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(
      `127.0.0.1:${options.port ?? 0}`,
      grpc.ServerCredentials.createInsecure(),
      (error, p) => (error ? reject(error) : resolve(p)),
    ),
  );
  return {
    id,
    port,
    address: `127.0.0.1:${port}`,
    server,
    health,
    served: () => served,
    stop: async () => server.forceShutdown(),
  };
}
