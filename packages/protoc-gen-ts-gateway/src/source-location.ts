import type { DescMethod } from "@bufbuild/protobuf";

// Field numbers in descriptor.proto: FileDescriptorProto.service, ServiceDescriptorProto.method.
const FILE_SERVICE = 6;
const SERVICE_METHOD = 2;

/**
 * The source-info path of a method. Computed here rather than with
 * protoplugin's getComments so that the route extraction loads no TypeScript
 * compiler when a program (the ts-gateway CLI) uses it at run time.
 */
function sourcePath(method: DescMethod): number[] {
  const service = method.parent;
  return [
    FILE_SERVICE,
    service.file.services.indexOf(service),
    SERVICE_METHOD,
    service.methods.indexOf(method),
  ];
}

/** `file.proto:line:column` of a method's declaration, from the descriptor's source info. */
export function methodLocation(method: DescMethod): string {
  const file = method.parent.file;
  const path = sourcePath(method);
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
