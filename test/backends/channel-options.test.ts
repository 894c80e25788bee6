/**
 * createChannel lowers grpc-js's DNS re-resolution floor
 * (`grpc.dns_min_time_between_resolutions_ms`, 30 s by default) to its own
 * `reresolveIntervalMs`, so a shorter interval is not silently capped; a
 * value the caller gives in `channelOptions` wins.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  type BalancerOptions,
  balancedChannelOptions,
} from "../../packages/runtime/src/balancer/balancer.js";

const key = "grpc.dns_min_time_between_resolutions_ms";

describe("createChannel's DNS re-resolution floor", () => {
  const cases: { name: string; options: BalancerOptions; expected: number | undefined }[] = [
    { name: "no interval: grpc-js's default stays", options: {}, expected: undefined },
    {
      name: "a short interval lowers the floor",
      options: { reresolveIntervalMs: 2000 },
      expected: 2000,
    },
    {
      name: "a long interval keeps grpc-js's 30 s",
      options: { reresolveIntervalMs: 120_000 },
      expected: 30_000,
    },
    {
      name: "0 (only on disconnects) changes nothing",
      options: { reresolveIntervalMs: 0 },
      expected: undefined,
    },
    {
      name: "the caller's channelOptions win",
      options: { reresolveIntervalMs: 2000, channelOptions: { [key]: 500 } },
      expected: 500,
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      assert.equal(balancedChannelOptions(c.options)[key], c.expected);
    });
  }
});

/**
 * A grpc-go server's default enforcement (keepalive.EnforcementPolicy: MinTime
 * 5 min, PermitWithoutStream false) closes a connection whose client pings
 * more often, or with no call in flight, with a GOAWAY "too_many_pings",
 * failing the streams on it. The defaults stay within it; a user's wins.
 */
describe("createChannel's keepalive", () => {
  const cases: {
    name: string;
    options: BalancerOptions;
    expected: { time: number; timeout: number; withoutCalls: number };
  }[] = [
    {
      name: "defaults a grpc-go server accepts",
      options: {},
      expected: { time: 300_000, timeout: 10_000, withoutCalls: 0 },
    },
    {
      name: "the user's values",
      options: { keepalive: { timeMs: 20_000, timeoutMs: 5000, permitWithoutCalls: true } },
      expected: { time: 20_000, timeout: 5000, withoutCalls: 1 },
    },
    {
      name: "permitWithoutCalls false stays off",
      options: { keepalive: { permitWithoutCalls: false } },
      expected: { time: 300_000, timeout: 10_000, withoutCalls: 0 },
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const o = balancedChannelOptions(c.options);
      assert.deepEqual(
        {
          time: o["grpc.keepalive_time_ms"],
          timeout: o["grpc.keepalive_timeout_ms"],
          withoutCalls: o["grpc.keepalive_permit_without_calls"],
        },
        c.expected,
      );
    });
  }
});

/**
 * A lost endpoint is tried again at most about a second apart (grpc-js's own
 * backoff grows to 120 s), so a replica that comes back gets its share within
 * a second; a user's values win.
 */
describe("createChannel's reconnect backoff", () => {
  const cases: { name: string; options: BalancerOptions; expected: [number, number] }[] = [
    { name: "defaults: 200 ms, at most 800 ms", options: {}, expected: [200, 800] },
    {
      name: "the user's values",
      options: { reconnectBackoff: { initialMs: 1000, maxMs: 10_000 } },
      expected: [1000, 10_000],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const options = balancedChannelOptions(c.options);
      assert.deepEqual(
        [options["grpc.initial_reconnect_backoff_ms"], options["grpc.max_reconnect_backoff_ms"]],
        c.expected,
      );
    });
  }
});
