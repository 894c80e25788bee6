import * as grpc from "@grpc/grpc-js";

const { registerResolver, splitHostPort, statusOrFromValue, statusOrFromError, uriToString } =
  grpc.experimental;
type Endpoint = grpc.experimental.Endpoint;
type GrpcUri = grpc.experimental.GrpcUri;

/** URI scheme of static endpoint lists: `ts-static:///host-a:50051,host-b:50051`. */
export const STATIC_SCHEME = "ts-static";

/** Parses `host:port,host:port` into grpc-js endpoints; hostnames are kept (Node resolves them on connect). @internal */
export function parseStaticEndpoints(list: string): Endpoint[] | Error {
  const endpoints: Endpoint[] = [];
  for (const item of list.split(",")) {
    const text = item.trim();
    if (text === "") continue;
    const hostPort = splitHostPort(text);
    if (hostPort === null || hostPort.port === undefined || hostPort.host === "") {
      return new Error(`static endpoint "${text}" is not host:port`);
    }
    endpoints.push({ addresses: [{ host: hostPort.host, port: hostPort.port }] });
  }
  return endpoints.length > 0 ? endpoints : new Error("static endpoint list is empty");
}

/** Builds a `ts-static:///` target from `host:port` strings. */
export function staticTarget(addresses: readonly string[]): string {
  return `${STATIC_SCHEME}:///${addresses.join(",")}`;
}

/** grpc-js resolver for a fixed list of endpoints. @internal */
class StaticResolver implements grpc.experimental.Resolver {
  private readonly result: Endpoint[] | Error;
  private returned = false;

  constructor(
    target: GrpcUri,
    private readonly listener: grpc.experimental.ResolverListener,
  ) {
    this.result = parseStaticEndpoints(target.path);
  }

  /** Reports the list once: re-reporting an unchanged list would make balancers rebuild in a loop. */
  updateResolution(): void {
    if (this.returned) return;
    this.returned = true;
    process.nextTick(() => {
      const result = this.result;
      if (result instanceof Error) {
        this.listener(
          statusOrFromError({ code: grpc.status.UNAVAILABLE, details: result.message }),
          {},
          null,
          "",
        );
      } else {
        this.listener(statusOrFromValue(result), {}, null, "");
      }
    });
  }

  destroy(): void {
    this.returned = false;
  }

  static getDefaultAuthority(target: GrpcUri): string {
    const first = target.path.split(",")[0]?.trim();
    if (first === undefined || first === "")
      throw new Error(`empty static target ${uriToString(target)}`);
    return first;
  }
}

let registered = false;

/** Registers the `ts-static` scheme with grpc-js (idempotent). @internal */
export function registerStaticResolver(): void {
  if (registered) return;
  registered = true;
  registerResolver(STATIC_SCHEME, StaticResolver);
}
