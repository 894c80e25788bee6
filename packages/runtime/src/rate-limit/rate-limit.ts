import {
  BurstyRateLimiter,
  type RateLimiterMemory,
  RateLimiterRedis,
  RateLimiterRes,
} from "rate-limiter-flexible";
import { Code, RpcError } from "../core/rpc-error.js";
import type { GatewayCall, Middleware } from "../pipeline/pipeline.js";
import { type RouteRule, routePolicy } from "../policy/route-policy.js";
import {
  ErrorInfoSchema,
  QuotaFailureSchema,
  RetryInfoSchema,
} from "../proto/google/rpc/error_details_pb.js";
import { CappedRateLimiterMemory, defaultMaxKeys } from "./capped-memory-limiter.js";
import { clientAddress, trustedProxies } from "./client-address.js";

/**
 * What a call is counted under: the client's address (`"ip"`), the JWT
 * subject the auth middleware set (`"subject"`, falling back to the address),
 * a request header (falling back to the address), or a function.
 */
export type RateLimitKey =
  | "ip"
  | "subject"
  | { header: string }
  | ((call: GatewayCall) => string | undefined);

/** A limit: per-route rules override these fields. */
export interface RateLimitPolicy {
  /** The policy's name, in `RateLimit-Policy` and in the store's keys. Default `"default"`. */
  name?: string;
  /** Sustained rate: `points` calls per `durationSec` seconds. */
  points: number;
  durationSec: number;
  /** Burst on top of the sustained rate: up to `points` more calls per `durationSec`. */
  burst?: { points: number; durationSec: number };
  /** Default `"ip"`. */
  key?: RateLimitKey;
  /**
   * A limit on the inbound messages of each WebSocket this policy admitted
   * (the upgrade itself counts as a call, above): each message costs a point;
   * past the limit the socket closes with 4008 (RESOURCE_EXHAUSTED) and the
   * status as reason. Default: messages are not counted.
   */
  webSocketMessages?: WebSocketMessageLimit;
}

/** See {@link RateLimitPolicy.webSocketMessages}. */
export interface WebSocketMessageLimit {
  /** `points` messages per `durationSec` seconds. */
  points: number;
  durationSec: number;
  /** Burst on top: up to `points` more messages per `durationSec`. */
  burst?: { points: number; durationSec: number };
  /**
   * `"connection"` (default): each socket has its own budget, counted in this
   * node's memory. `"key"`: the sockets of one key (the policy's `key`) share
   * one budget, in the policy's store (Redis for a cluster).
   */
  per?: "connection" | "key";
}

/**
 * A store shared by gateway nodes: an `ioredis` client. Create it with
 * `enableOfflineQueue: false` and a `commandTimeout`, so that a missing Redis
 * fails calls fast instead of queueing them.
 */
export interface RateLimitRedisStore {
  redis: object;
  /**
   * Redis unreachable: `"open"` counts in this node's memory meanwhile
   * (rate-limiter-flexible's insurance limiter), `"closed"` answers 503. Default `"open"`.
   */
  failure?: "open" | "closed";
}

/** Options of {@link rateLimit}. */
export interface RateLimitOptions extends RateLimitPolicy {
  /** Shared store for a cluster; default this node's memory. */
  store?: RateLimitRedisStore;
  /** Proxies (addresses, CIDR ranges) whose `X-Forwarded-For` is believed for the `"ip"` key. */
  trustedProxies?: readonly string[];
  /** Per-route limits, by selector; `options: false` exempts a route. */
  routes?: readonly RouteRule<Partial<RateLimitPolicy>>[];
  /** Where store failures and recoveries are reported. Default `console.warn`. */
  log?: (message: string, error?: unknown) => void;
  /**
   * The keys each in-memory limiter holds at most (distinct clients within
   * one window); past it the key whose window started first is forgotten
   * (its count starts over). Bounds memory under a flood of distinct keys
   * (about 450 bytes a key). Default 100 000.
   */
  maxKeys?: number;
}

interface Limiter {
  readonly name: string;
  readonly policy: string;
  readonly limit: number;
  readonly key: RateLimitKey;
  consume(key: string): Promise<RateLimiterRes>;
  /** The WebSocket message limit, with its `per`. */
  readonly messages: { limiter: Limiter; perConnection: boolean } | undefined;
}

/**
 * Rate limits with `rate-limiter-flexible`, mux-wide (one budget shared by
 * every route) or per route. Each answer carries `RateLimit-Policy` and
 * `RateLimit` (draft-ietf-httpapi-ratelimit-headers); an exhausted budget is
 * 429 RESOURCE_EXHAUSTED with `Retry-After`, `RetryInfo` and `QuotaFailure`.
 * WebSocket upgrades are counted like any call. Unmatched requests pass.
 */
export function rateLimit(options: RateLimitOptions): Middleware {
  const trusted = trustedProxies(options.trustedProxies);
  const log = options.log ?? ((m: string, e?: unknown) => console.warn(m, e ?? ""));
  const store = options.store === undefined ? undefined : storeState(options.store, log);
  const maxKeys = options.maxKeys ?? defaultMaxKeys;
  const made = new WeakMap<object, Limiter>();
  const policy = routePolicy<RateLimitPolicy, Limiter>(options, options.routes, (o) => {
    let limiter = made.get(o);
    if (limiter === undefined) {
      limiter = createLimiter(o, store, maxKeys);
      made.set(o, limiter);
    }
    return limiter;
  });
  /** Numbers the WebSockets counted per connection. */
  let sockets = 0;
  return async (call, next) => {
    if (call.route === undefined) return next();
    const limiter = policy(call);
    if (limiter === undefined) return next();
    const key = keyOf(limiter.key, call, trusted);
    const insured = store?.insuredCalls ?? 0;
    let res: RateLimiterRes;
    try {
      res = await limiter.consume(key);
    } catch (err) {
      if (!(err instanceof RateLimiterRes)) {
        store?.failed(err);
        throw new RpcError("rate limit store unavailable", Code.Unavailable, { cause: err });
      }
      throw exhausted(call, limiter, key, err);
    }
    if (store !== undefined && store.insuredCalls === insured) store.ok();
    call.setHeader("RateLimit-Policy", limiter.policy);
    call.setHeader("RateLimit", rateLimitHeader(limiter, res));
    const messages = limiter.messages;
    if (messages !== undefined && call.transport === "websocket") {
      const messageKey = messages.perConnection ? `ws:${++sockets}` : key;
      call.checkMessages(() => countMessage(messages.limiter, messageKey, store));
    }
    return next();
  };
}

/** Counts one inbound WebSocket message; throws the RESOURCE_EXHAUSTED that closes the socket. */
async function countMessage(
  limiter: Limiter,
  key: string,
  store: ReturnType<typeof storeState> | undefined,
): Promise<void> {
  try {
    await limiter.consume(key);
  } catch (err) {
    if (!(err instanceof RateLimiterRes)) {
      store?.failed(err);
      throw new RpcError("rate limit store unavailable", Code.Unavailable, { cause: err });
    }
    const seconds = Math.max(1, Math.ceil(err.msBeforeNext / 1000));
    throw new RpcError(
      `WebSocket message rate limit exceeded (${limiter.limit} per policy "${limiter.name}"), retry in ${seconds}s`,
      Code.ResourceExhausted,
    );
  }
}

function createLimiter(
  policy: RateLimitPolicy,
  store: ReturnType<typeof storeState> | undefined,
  maxKeys: number,
): Limiter {
  const name = policy.name ?? "default";
  if (!(policy.points > 0 && policy.durationSec > 0)) {
    throw new Error(`rateLimit ${name}: points and durationSec must be positive`);
  }
  const memory = (points: number, duration: number, keyPrefix: string) =>
    new CappedRateLimiterMemory({ points, duration, keyPrefix }, maxKeys);
  const make = (points: number, duration: number, prefix: string) => {
    const keyPrefix = `ts-gateway:rl:${name}:${prefix}`;
    if (store === undefined) return memory(points, duration, keyPrefix);
    return new RateLimiterRedis({
      storeClient: store.redis,
      points,
      duration,
      keyPrefix,
      rejectIfRedisNotReady: true,
      ...(store.failOpen
        ? {
            insuranceLimiter: store.insurance(memory(points, duration, keyPrefix)),
          }
        : {}),
    });
  };
  const sustained = make(policy.points, policy.durationSec, "s");
  const limiter =
    policy.burst === undefined
      ? sustained
      : new BurstyRateLimiter(sustained, make(policy.burst.points, policy.burst.durationSec, "b"));
  const limit = policy.points + (policy.burst?.points ?? 0);
  const ws = policy.webSocketMessages;
  const perConnection = (ws?.per ?? "connection") === "connection";
  return {
    name,
    limit,
    policy: `"${name}";q=${policy.points};w=${policy.durationSec}`,
    key: policy.key ?? "ip",
    consume: (key) => limiter.consume(key),
    messages:
      ws === undefined
        ? undefined
        : {
            // Per connection: this node's memory, whatever the store (a socket lives on one node).
            limiter: createLimiter(
              { name: `${name}:ws`, ...ws },
              perConnection ? undefined : store,
              maxKeys,
            ),
            perConnection,
          },
  };
}

/** The store's health as this node sees it: failures and recoveries logged once each. */
function storeState(store: RateLimitRedisStore, log: (message: string, error?: unknown) => void) {
  const failOpen = (store.failure ?? "open") === "open";
  let degraded = false;
  const failed = (err: unknown) => {
    if (degraded) return;
    degraded = true;
    log(
      `rate limit: Redis unavailable, ${failOpen ? "failing open (counting in memory)" : "failing closed (503)"}`,
      err,
    );
  };
  const ok = () => {
    if (!degraded) return;
    degraded = false;
    log("rate limit: Redis is back, counting there again");
  };
  const state = {
    redis: store.redis,
    failOpen,
    failed,
    ok,
    /** Calls counted by an insurance limiter so far: one that was not went through Redis. */
    insuredCalls: 0,
    /** The in-memory insurance limiter, reporting its use as a failure of the store. */
    insurance(memory: RateLimiterMemory): RateLimiterMemory {
      const consume = memory.consume.bind(memory);
      memory.consume = (key, points, options) => {
        state.insuredCalls++;
        failed(undefined);
        return consume(key, points, options);
      };
      return memory;
    },
  };
  return state;
}

function keyOf(
  key: RateLimitKey,
  call: GatewayCall,
  trusted: ReturnType<typeof trustedProxies>,
): string {
  if (typeof key === "function") return key(call) ?? `ip:${clientAddress(call, trusted)}`;
  if (key === "subject") {
    const sub = call.metadata.get("x-jwt-sub")[0];
    if (typeof sub === "string") return `sub:${sub}`;
  } else if (typeof key === "object") {
    const value = call.headers[key.header.toLowerCase()];
    if (typeof value === "string") return `h:${value}`;
  }
  return `ip:${clientAddress(call, trusted)}`;
}

function rateLimitHeader(limiter: Limiter, res: RateLimiterRes): string {
  return `"${limiter.name}";r=${Math.max(0, res.remainingPoints)};t=${Math.ceil(res.msBeforeNext / 1000)}`;
}

function exhausted(
  call: GatewayCall,
  limiter: Limiter,
  key: string,
  res: RateLimiterRes,
): RpcError {
  const seconds = Math.max(1, Math.ceil(res.msBeforeNext / 1000));
  call.setHeader("Retry-After", String(seconds));
  call.setHeader("RateLimit-Policy", limiter.policy);
  call.setHeader("RateLimit", `"${limiter.name}";r=0;t=${seconds}`);
  const nanos = (res.msBeforeNext % 1000) * 1_000_000;
  return new RpcError(`rate limit exceeded, retry in ${seconds}s`, Code.ResourceExhausted, {
    details: [
      {
        desc: RetryInfoSchema,
        value: {
          retryDelay: { seconds: BigInt(Math.floor(res.msBeforeNext / 1000)), nanos },
        },
      },
      {
        desc: QuotaFailureSchema,
        value: {
          violations: [
            {
              subject: key,
              description: `${limiter.limit} calls per policy "${limiter.name}" exceeded`,
            },
          ],
        },
      },
      {
        desc: ErrorInfoSchema,
        value: {
          reason: "RATE_LIMIT_EXCEEDED",
          domain: "ts-gateway",
          metadata: { policy: limiter.name },
        },
      },
    ],
  });
}
