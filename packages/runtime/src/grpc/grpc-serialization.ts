import type { DescMessage, MessageShape } from "@bufbuild/protobuf";
import { compiledFromBinary } from "../codec/compiled-binary-reader.js";
import { compiledToBinary } from "../codec/compiled-binary-writer.js";

/** grpc-js serializers for one protobuf-es message type. @internal */
export interface Serializers<D extends DescMessage> {
  serialize(message: MessageShape<D>): Buffer;
  deserialize(bytes: Buffer): MessageShape<D>;
}

const cache = new WeakMap<DescMessage, Serializers<any>>();

/** Returns (and caches) binary serializers for a message schema. @internal */
export function serializers<D extends DescMessage>(schema: D): Serializers<D> {
  let s: Serializers<D> | undefined = cache.get(schema);
  if (s === undefined) {
    const decode = compiledFromBinary(schema);
    const encode = compiledToBinary(schema);
    s = {
      serialize(message) {
        const bytes = encode(message);
        return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      },
      deserialize(bytes) {
        return decode(bytes);
      },
    };
    cache.set(schema, s);
  }
  return s;
}
