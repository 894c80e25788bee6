import type { DescService } from "@bufbuild/protobuf";
import type { CallContext } from "@ts-gateway/runtime";

/** A backend's deadlines (`deadlineMs`, `streamDeadlineMs`): none when undefined. */
export interface CallDeadlines {
  /** Unary calls and client streams: the whole call, answer included. */
  readonly unaryMs?: number | undefined;
  /** Server and bidirectional streams: the whole stream. Off by default. */
  readonly streamMs?: number | undefined;
}

type Call = (input: unknown, context: CallContext, ...rest: unknown[]) => unknown;

/**
 * The backend object `mux.register` calls, with each call's deadline brought
 * forward to the backend's own (a client's shorter `Grpc-Timeout` still wins).
 * The deadline is set on the call, not in the channel's service config: a
 * service config's timeout would bound server streams too (the sample's
 * `deadlineMs: 10000` ended every stream after 10 s), and grpc-js's message for
 * it (the backend's address and timings) would reach the client; a call's own
 * deadline comes back as the gateway's plain `deadline exceeded`.
 */
export function withDeadlines<B extends object>(
  backend: B,
  service: DescService,
  deadlines: CallDeadlines,
): B {
  const { unaryMs, streamMs } = deadlines;
  if (unaryMs === undefined && streamMs === undefined) return backend;
  const limits = new Map<string, number>();
  for (const method of service.methods) {
    const streams =
      method.methodKind === "server_streaming" || method.methodKind === "bidi_streaming";
    const ms = streams ? streamMs : unaryMs;
    if (ms !== undefined) limits.set(method.localName, ms);
  }
  return new Proxy(backend, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver) as unknown;
      const ms = typeof key === "string" ? limits.get(key) : undefined;
      if (ms === undefined || typeof value !== "function") return value;
      const call = value as Call;
      return (input: unknown, context: CallContext, ...rest: unknown[]) =>
        call.call(target, input, limitDeadline(context, ms), ...rest);
    },
  });
}

/** `context` with its deadline at most `ms` from now. */
function limitDeadline(context: CallContext, ms: number): CallContext {
  const deadline = new Date(Date.now() + ms);
  if (context.deadline !== undefined && context.deadline <= deadline) return context;
  // The context is a class with private fields: its accessors and methods run on itself.
  return new Proxy(context, {
    get(target, key) {
      if (key === "deadline") return deadline;
      const value = Reflect.get(target, key, target) as unknown;
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}
