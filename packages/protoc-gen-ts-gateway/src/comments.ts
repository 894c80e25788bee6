import {
  type AnyDesc,
  type DescEnum,
  type DescFile,
  type DescMessage,
  isFieldSet,
} from "@bufbuild/protobuf";
import {
  type SourceCodeInfo_Location,
  SourceCodeInfo_LocationSchema,
} from "@bufbuild/protobuf/wkt";

/** The comments of an element, as protoplugin's `getComments` gives them. */
export interface Comments {
  readonly leading?: string | undefined;
  readonly trailing?: string | undefined;
}

// Field numbers in descriptor.proto.
const FILE_MESSAGE = 4;
const FILE_ENUM = 5;
const FILE_SERVICE = 6;
const FILE_EXTENSION = 7;
const MESSAGE_FIELD = 2;
const MESSAGE_NESTED = 3;
const MESSAGE_ENUM = 4;
const MESSAGE_EXTENSION = 6;
const MESSAGE_ONEOF = 8;
const ENUM_VALUE = 2;
const SERVICE_METHOD = 2;

const { leadingComments, trailingComments } = SourceCodeInfo_LocationSchema.field;

/** A file's locations by source path, the first of each path (as protoplugin takes it). */
type LocationIndex = Map<string, SourceCodeInfo_Location>;

/** The location index of each file met, built on first use; collected with the file. */
const indexes = new WeakMap<DescFile, LocationIndex>();

/**
 * protoplugin's `getComments`, answered from an index of the file's locations
 * built once. protoplugin scans the file's locations for every element; the
 * OpenAPI documents ask for every field's comment, which on
 * google/cloud/compute/v1 (74,492 locations, 10,000 fields) took 17 s. The
 * answers are protoplugin's: the same path, the first location with it.
 * (The index is a pure function's memo, keyed weakly by the file, so that
 * the OpenAPI modules need no new parameter to use it.) It does not import
 * protoplugin, whose index loads the TypeScript compiler: `ts-gateway serve`
 * builds its OpenAPI document with this module, and TypeScript alone took
 * about 90 MB of its memory.
 */
export function getComments(desc: Exclude<AnyDesc, DescFile>): Comments {
  const path = sourcePath(desc);
  const location = indexOf(fileOf(desc)).get(path.join("."));
  if (location === undefined) return {};
  return {
    leading: isFieldSet(location, leadingComments) ? location.leadingComments : undefined,
    trailing: isFieldSet(location, trailingComments) ? location.trailingComments : undefined,
  };
}

function indexOf(file: DescFile): LocationIndex {
  let index = indexes.get(file);
  if (index === undefined) {
    index = new Map();
    for (const location of file.proto.sourceCodeInfo?.location ?? []) {
      const key = location.path.join(".");
      if (!index.has(key)) index.set(key, location);
    }
    indexes.set(file, index);
  }
  return index;
}

function fileOf(desc: Exclude<AnyDesc, DescFile>): DescFile {
  switch (desc.kind) {
    case "field":
    case "oneof":
    case "enum_value":
    case "rpc":
      return desc.parent.file;
    default:
      return desc.file;
  }
}

function messagePath(message: DescMessage): number[] {
  const parent = message.parent;
  return parent === undefined
    ? [FILE_MESSAGE, message.file.proto.messageType.indexOf(message.proto)]
    : [...messagePath(parent), MESSAGE_NESTED, parent.proto.nestedType.indexOf(message.proto)];
}

function enumPath(e: DescEnum): number[] {
  const parent = e.parent;
  return parent === undefined
    ? [FILE_ENUM, e.file.proto.enumType.indexOf(e.proto)]
    : [...messagePath(parent), MESSAGE_ENUM, parent.proto.enumType.indexOf(e.proto)];
}

/** The source-info path of a descriptor, as descriptor.proto numbers it. */
function sourcePath(desc: Exclude<AnyDesc, DescFile>): number[] {
  switch (desc.kind) {
    case "message":
      return messagePath(desc);
    case "enum":
      return enumPath(desc);
    case "enum_value":
      return [...enumPath(desc.parent), ENUM_VALUE, desc.parent.proto.value.indexOf(desc.proto)];
    case "field":
      return [
        ...messagePath(desc.parent),
        MESSAGE_FIELD,
        desc.parent.proto.field.indexOf(desc.proto),
      ];
    case "oneof":
      return [
        ...messagePath(desc.parent),
        MESSAGE_ONEOF,
        desc.parent.proto.oneofDecl.indexOf(desc.proto),
      ];
    case "service":
      return [FILE_SERVICE, desc.file.proto.service.indexOf(desc.proto)];
    case "rpc":
      return [
        FILE_SERVICE,
        desc.parent.file.proto.service.indexOf(desc.parent.proto),
        SERVICE_METHOD,
        desc.parent.proto.method.indexOf(desc.proto),
      ];
    case "extension":
      return desc.parent === undefined
        ? [FILE_EXTENSION, desc.file.proto.extension.indexOf(desc.proto)]
        : [
            ...messagePath(desc.parent),
            MESSAGE_EXTENSION,
            desc.parent.proto.extension.indexOf(desc.proto),
          ];
  }
}
