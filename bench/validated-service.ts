import {
  clone,
  create,
  createFileRegistry,
  type DescService,
  setExtension,
} from "@bufbuild/protobuf";
import { FieldOptionsSchema, FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import { FieldRulesSchema, field } from "@bufbuild/protovalidate/gen/buf/validate/validate_pb.js";
import { file_bench_v1_bench } from "./gen/bench/v1/bench_pb.js";

/**
 * BenchService as if bench.proto carried buf.validate rules on the small GET's
 * request (`GetItemRequest.id`: `string = {min_len: 1, max_len: 64}`), for the
 * `BENCH_POLICY=validate` row. The rules are set on a copy of the file
 * descriptor rather than written in bench.proto, whose Go build (bench/go) has
 * no protovalidate Go package to import.
 */
export function validatedBenchService(): DescService {
  const file = clone(FileDescriptorProtoSchema, file_bench_v1_bench.proto);
  const request = file.messageType.find((m) => m.name === "GetItemRequest");
  const id = request?.field.find((f) => f.name === "id");
  if (id === undefined) throw new Error("bench.proto has no GetItemRequest.id");
  id.options ??= create(FieldOptionsSchema);
  setExtension(
    id.options,
    field,
    create(FieldRulesSchema, {
      type: { case: "string", value: { minLen: 1n, maxLen: 64n } },
    }),
  );
  const registry = createFileRegistry(file, (name) =>
    file_bench_v1_bench.dependencies.find((d) => d.proto.name === name),
  );
  const service = registry.getService("bench.v1.BenchService");
  if (service === undefined) throw new Error("no bench.v1.BenchService");
  return service;
}
