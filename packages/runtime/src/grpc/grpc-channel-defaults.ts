import type * as grpc from "@grpc/grpc-js";

/**
 * The grpc-js channel options the gateway uses unless told otherwise: grpc-js
 * features a gateway does not need turned off to save per-call work. Every
 * one stays available: an option the user sets (client options, or
 * `createChannel`'s `channelOptions`) always wins over these.
 */
export const gatewayChannelDefaults: Readonly<grpc.ChannelOptions> = {
  // channelz keeps per-call counters, timestamps and traces for grpc-js's channelz
  // service, which a gateway does not serve: 1 to turn it back on.
  "grpc.enable_channelz": 0,
};

/**
 * Client options with the gateway's channel defaults under the caller's own
 * (a user-set option wins). Options that bring their own channel
 * (`channelOverride`) are returned as they are: that channel's options were
 * chosen by whoever made it.
 */
export function withGatewayDefaults(options?: grpc.ClientOptions): grpc.ClientOptions {
  if (options?.channelOverride !== undefined) return options;
  return { ...gatewayChannelDefaults, ...options };
}
