import { fromBinary, fromJson, toBinary, toJson } from "@bufbuild/protobuf";
import type { Codec } from "./codec.js";

/** protobuf-es's reflective `toBinary`/`fromBinary`/`toJson`/`fromJson`: the reference {@link Codec}. */
export const protobufEsCodec: Codec = {
  name: "protobuf-es",
  binary: (schema) => ({
    encode: (message) => toBinary(schema, message),
    decode: (bytes) => fromBinary(schema, bytes),
  }),
  fromJson: (schema, json, options) => fromJson(schema, json, options),
  toJson: (schema, message, options) => toJson(schema, message, options),
};
