import type { Path } from "@bufbuild/protobuf/reflect";

/**
 * A protovalidate violation's field path as the JSON path a client sent:
 * `book.title`, `labels["env"]`, `items[2].id`. Fields by JSON name
 * (`json_name`), or by proto name with `useProtoFieldName`, as the mux writes
 * them; an extension as `[pkg.ext]`; a oneof (a `required` oneof) by its name.
 */
export function jsonPath(path: Path, useProtoFieldName: boolean): string {
  let out = "";
  for (const item of path) {
    switch (item.kind) {
      case "field":
        out += (out === "" ? "" : ".") + (useProtoFieldName ? item.name : item.jsonName);
        break;
      case "extension":
        out += `${out === "" ? "" : "."}[${item.typeName}]`;
        break;
      case "oneof":
        out += (out === "" ? "" : ".") + item.name;
        break;
      case "list_sub":
        out += `[${item.index}]`;
        break;
      case "map_sub":
        out += typeof item.key === "string" ? `[${JSON.stringify(item.key)}]` : `[${item.key}]`;
        break;
    }
  }
  return out;
}
