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
