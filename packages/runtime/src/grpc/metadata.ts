import * as grpc from "@grpc/grpc-js";
import { addEntries, type CallMetadata } from "../core/metadata.js";

/**
 * `metadata` as a grpc-js `Metadata` of this package's copy of grpc-js, for a
 * grpc-js call: a grpc-js `Metadata` (what the gateway and grpc-js servers
 * make) is returned as is, anything else copied ({@link toGrpcMetadataCopy}).
 *
 * @internal
 */
export function toGrpcMetadata(metadata: CallMetadata | undefined): grpc.Metadata {
  if (metadata === undefined) return new grpc.Metadata();
  if (metadata instanceof grpc.Metadata) return metadata;
  return toGrpcMetadataCopy(metadata);
}

/**
 * A grpc-js `Metadata` the caller may change, copied from `source`: a grpc-js
 * `Metadata` of this copy of grpc-js is cloned; any other metadata (the core's
 * own, a grpc-js `Metadata` of a duplicate copy) or its `toJSON()` shape
 * (`{ key: values[] }`) is copied entry by entry, byte values as `Buffer`s,
 * skipping entries grpc-js rejects.
 *
 * @internal
 */
export function toGrpcMetadataCopy(source: unknown): grpc.Metadata {
  if (source instanceof grpc.Metadata) return source.clone();
  const md = new grpc.Metadata();
  // grpc-js takes bytes only as a Buffer.
  addEntries(
    { add: (key, value) => md.add(key, typeof value === "string" ? value : Buffer.from(value)) },
    source,
  );
  return md;
}
