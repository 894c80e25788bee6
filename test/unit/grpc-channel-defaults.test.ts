import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as grpc from "@grpc/grpc-js";
import { createChannel } from "../../packages/runtime/src/balancer/index.js";
import {
  gatewayChannelDefaults,
  withGatewayDefaults,
} from "../../packages/runtime/src/grpc/grpc-channel-defaults.js";
import { GrpcClient } from "../../packages/runtime/src/index.js";

/** Whether grpc-js's channelz registry tracks `channel` (its public channelz handlers). */
function tracked(channel: { getChannelzRef(): { id: number } }): Promise<boolean> {
  const { GetChannel } = grpc.getChannelzHandlers();
  return new Promise((resolve) => {
    GetChannel(
      { request: { channel_id: String(channel.getChannelzRef().id) } } as never,
      ((err: grpc.ServiceError | null) => resolve(err === null)) as never,
    );
  });
}

describe("withGatewayDefaults", () => {
  const channel = new grpc.Channel("127.0.0.1:1", grpc.credentials.createInsecure(), {});
  const cases: Array<[string, grpc.ClientOptions | undefined, grpc.ClientOptions]> = [
    ["no options: the gateway's defaults", undefined, { ...gatewayChannelDefaults }],
    ["empty options: the gateway's defaults", {}, { ...gatewayChannelDefaults }],
    [
      "a user-set channelz wins",
      { "grpc.enable_channelz": 1 },
      { ...gatewayChannelDefaults, "grpc.enable_channelz": 1 },
    ],
    [
      "other user options are kept",
      { "grpc.keepalive_time_ms": 5000, "grpc.enable_retries": 0 },
      { ...gatewayChannelDefaults, "grpc.keepalive_time_ms": 5000, "grpc.enable_retries": 0 },
    ],
    [
      "a channelOverride's channel keeps the options its maker chose",
      { channelOverride: channel },
      { channelOverride: channel },
    ],
  ];
  for (const [name, given, expected] of cases) {
    it(name, () => assert.deepEqual(withGatewayDefaults(given), expected));
  }
  channel.close();
});

describe("the gateway's grpc-js channels", () => {
  it("turn channelz off by default, and on when the user says so", async () => {
    const cases: Array<[grpc.ClientOptions | undefined, boolean]> = [
      [undefined, false],
      [{ "grpc.enable_channelz": 1 }, true],
    ];
    for (const [options, expected] of cases) {
      const client = new GrpcClient("127.0.0.1:1", grpc.credentials.createInsecure(), options);
      assert.equal(await tracked(client.client.getChannel()), expected, JSON.stringify(options));
      client.close();
    }
  });

  it("createChannel: channelz off by default, and on with channelOptions", async () => {
    const cases: Array<[grpc.ChannelOptions | undefined, boolean]> = [
      [undefined, false],
      [{ "grpc.enable_channelz": 1 }, true],
    ];
    for (const [channelOptions, expected] of cases) {
      const channel = createChannel(["127.0.0.1:1"], {
        circuitBreaker: false,
        ...(channelOptions === undefined ? {} : { channelOptions }),
      });
      assert.equal(await tracked(channel), expected, JSON.stringify(channelOptions));
      channel.close();
    }
  });
});
