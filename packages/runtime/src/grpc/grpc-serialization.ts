import type { DescMessage, MessageShape } from "@bufbuild/protobuf";
import type { Codec } from "../codec/codec.js";

/** grpc-js serializers for one protobuf-es message type. @internal */
export interface Serializers<D extends DescMessage> {
  serialize(message: MessageShape<D>): Buffer;
  deserialize(bytes: Buffer): MessageShape<D>;
}

const caches = new WeakMap<Codec, WeakMap<DescMessage, Serializers<DescMessage>>>();

/** Returns (and caches) the binary serializers of a message schema through `codec`. @internal */
export function serializers<D extends DescMessage>(codec: Codec, schema: D): Serializers<D> {
  let cache = caches.get(codec);
  if (cache === undefined) {
    cache = new WeakMap();
    caches.set(codec, cache);
  }
  let s = cache.get(schema) as Serializers<D> | undefined;
  if (s === undefined) {
    const { encode, decode } = codec.binary(schema);
    s = {
      serialize(message) {
        const bytes = encode(message);
        return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      },
      deserialize(bytes) {
        return decode(bytes);
      },
    };
    cache.set(schema, s as Serializers<DescMessage>);
  }
  return s;
}
