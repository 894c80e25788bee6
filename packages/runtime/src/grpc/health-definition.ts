import { type DescMessage, fromBinary, type MessageShape, toBinary } from "@bufbuild/protobuf";
import type * as grpc from "@grpc/grpc-js";
import {
  type HealthCheckRequest,
  HealthCheckRequestSchema,
  type HealthCheckResponse,
  HealthCheckResponseSchema,
  type HealthListRequest,
  HealthListRequestSchema,
  type HealthListResponse,
  HealthListResponseSchema,
} from "../proto/grpc/health/v1/health_pb.js";

function serialize<D extends DescMessage>(schema: D): (message: MessageShape<D>) => Buffer {
  return (message) => {
    const bytes = toBinary(schema, message);
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  };
}

function deserialize<D extends DescMessage>(schema: D): (bytes: Buffer) => MessageShape<D> {
  return (bytes) => fromBinary(schema, bytes);
}

/** The grpc-js service definition of `grpc.health.v1.Health` (Check, Watch, List). */
export const healthServiceDefinition = {
  check: {
    path: "/grpc.health.v1.Health/Check",
    requestStream: false,
    responseStream: false,
    requestSerialize: serialize(HealthCheckRequestSchema),
    requestDeserialize: deserialize(HealthCheckRequestSchema),
    responseSerialize: serialize(HealthCheckResponseSchema),
    responseDeserialize: deserialize(HealthCheckResponseSchema),
  },
  watch: {
    path: "/grpc.health.v1.Health/Watch",
    requestStream: false,
    responseStream: true,
    requestSerialize: serialize(HealthCheckRequestSchema),
    requestDeserialize: deserialize(HealthCheckRequestSchema),
    responseSerialize: serialize(HealthCheckResponseSchema),
    responseDeserialize: deserialize(HealthCheckResponseSchema),
  },
  list: {
    path: "/grpc.health.v1.Health/List",
    requestStream: false,
    responseStream: false,
    requestSerialize: serialize(HealthListRequestSchema),
    requestDeserialize: deserialize(HealthListRequestSchema),
    responseSerialize: serialize(HealthListResponseSchema),
    responseDeserialize: deserialize(HealthListResponseSchema),
  },
} satisfies grpc.ServiceDefinition;

/** Handler shapes for {@link healthServiceDefinition}. @internal */
export interface HealthHandlers extends grpc.UntypedServiceImplementation {
  check: grpc.handleUnaryCall<HealthCheckRequest, HealthCheckResponse>;
  watch: grpc.handleServerStreamingCall<HealthCheckRequest, HealthCheckResponse>;
  list: grpc.handleUnaryCall<HealthListRequest, HealthListResponse>;
}
