import type { DescMessage, JsonValue, MessageShape, Registry } from "@bufbuild/protobuf";

/** How JSON is read into a message (protobuf-es `fromJson` options, resolved). */
export interface JsonReadOptions {
  /** Ignore unknown fields and enum names instead of failing. */
  readonly ignoreUnknownFields: boolean;
  /** Types `google.protobuf.Any` fields may hold. */
  readonly registry?: Registry | undefined;
}

/** How a message is written as JSON (protobuf-es `toJson` options, resolved). */
export interface JsonWriteOptions {
  /** Emit fields with default values (`emitDefaultValues`). */
  readonly alwaysEmitImplicit: boolean;
  /** Use proto field names (`page_size`) instead of JSON names. */
  readonly useProtoFieldName: boolean;
  /** Write enum values as integers instead of names. */
  readonly enumAsInteger: boolean;
  /** Types `google.protobuf.Any` fields may hold. */
  readonly registry?: Registry | undefined;
}

/** Binary encoding of one message type, e.g. for grpc-js serialization. */
export interface BinaryCodec<D extends DescMessage> {
  encode(message: MessageShape<D>): Uint8Array;
  decode(bytes: Uint8Array): MessageShape<D>;
}

/**
 * The seam through which the gateway encodes and decodes every message:
 * binary for the gRPC wire, proto3 JSON for HTTP bodies. An implementation
 * must give exactly protobuf-es's results and errors ({@link protobufEsCodec}
 * is the reference; `compiledCodec` is the fast one and the default).
 */
export interface Codec {
  /** A name for logs and tests (`"protobuf-es"`, `"compiled"`). */
  readonly name: string;
  /** The binary encoder and decoder of one message type; build it once per type. */
  binary<D extends DescMessage>(schema: D): BinaryCodec<D>;
  /** `fromJson(schema, json, options)`. */
  fromJson<D extends DescMessage>(
    schema: D,
    json: JsonValue,
    options: JsonReadOptions,
  ): MessageShape<D>;
  /** `toJson(schema, message, options)`. */
  toJson<D extends DescMessage>(
    schema: D,
    message: MessageShape<D>,
    options: JsonWriteOptions,
  ): JsonValue;
}
