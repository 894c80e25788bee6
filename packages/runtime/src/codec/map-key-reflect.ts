import { protoInt64, ScalarType } from "@bufbuild/protobuf";

/**
 * protobuf-es' mapKeyToReflect: a map's object key back to the key type
 * (unparsable keys stay strings), shared by the compiled binary and JSON writers.
 * @internal
 */
export function mapKeyReflect(type: ScalarType): (key: string) => unknown {
  switch (type) {
    case ScalarType.STRING:
      return (key) => key;
    case ScalarType.INT32:
    case ScalarType.FIXED32:
    case ScalarType.UINT32:
    case ScalarType.SFIXED32:
    case ScalarType.SINT32:
      return (key) => {
        // biome-ignore lint/correctness/useParseIntRadix: as protobuf-es (a "0x" key parses as hex)
        const n = Number.parseInt(key);
        return Number.isFinite(n) ? n : key;
      };
    case ScalarType.BOOL:
      return (key) => (key === "true" ? true : key === "false" ? false : key);
    case ScalarType.UINT64:
    case ScalarType.FIXED64:
      return (key) => {
        try {
          return protoInt64.uParse(key);
        } catch {
          return key;
        }
      };
    default:
      return (key) => {
        try {
          return protoInt64.parse(key);
        } catch {
          return key;
        }
      };
  }
}
