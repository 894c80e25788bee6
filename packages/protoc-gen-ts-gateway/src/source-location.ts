import type { DescMethod } from "@bufbuild/protobuf";
import { getComments } from "@bufbuild/protoplugin";

/** `file.proto:line:column` of a method's declaration, from the descriptor's source info. */
export function methodLocation(method: DescMethod): string {
  const file = method.parent.file;
  const path = getComments(method).sourcePath;
  const location = file.proto.sourceCodeInfo?.location.find(
    (l) => l.path.length === path.length && l.path.every((p, i) => p === path[i]),
  );
  const span = location?.span;
  if (span === undefined || span.length < 2) return file.proto.name;
  return `${file.proto.name}:${(span[0] ?? 0) + 1}:${(span[1] ?? 0) + 1}`;
}

/** An error in the user's protos: printed by buf as `file:line:col: method: message`. */
export class GenerationError extends Error {
  constructor(method: DescMethod, message: string) {
    super(`${methodLocation(method)}: ${method.parent.typeName}.${method.name}: ${message}`);
    this.name = "GenerationError";
  }
}
