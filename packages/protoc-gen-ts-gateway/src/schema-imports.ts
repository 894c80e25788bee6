import type {
  DescEnum,
  DescExtension,
  DescFile,
  DescMessage,
  DescService,
} from "@bufbuild/protobuf";
import { nestedTypes } from "@bufbuild/protobuf/reflect";
import { type GeneratedFile, type ImportSymbol, safeIdentifier } from "@bufbuild/protoplugin";

type Named = DescMessage | DescEnum | DescService;

/** The names protoc-gen-es gives a file's declarations, and the module they are imported from. */
interface FileNames {
  /** `Book` for a message's shape. */
  readonly shapes: ReadonlyMap<Named, string>;
  /** `BookSchema` for a message's descriptor, `LibraryService` for a service's. */
  readonly descs: ReadonlyMap<Named, string>;
  /** protoplugin's answer for the first declaration asked, to check ours against. */
  readonly from: string;
}

/**
 * `f.importSchema` and `f.importShape` without their cost on huge files.
 *
 * protoplugin (2.x) computes the names of every declaration of a file each
 * time it is asked for one (`allNames` in its `names.ts`): on
 * google/cloud/compute/v1 (2,020 messages, 988 methods) the plugin spent
 * 70 of 174 s there, plus most of its garbage collection. Here the names are
 * computed once per proto file by the same rules (shape names, then
 * descriptor names, each clash salted `$`, `$1`, …), and the first name of
 * each file is checked against protoplugin's own answer; should they ever
 * differ (a protoplugin upgrade), that file falls back to protoplugin's calls.
 */
export class SchemaImports {
  readonly #files = new Map<DescFile, FileNames | null>();

  constructor(private readonly f: GeneratedFile) {}

  /** As `f.importSchema(desc, typeOnly)`. */
  schema(desc: Named, typeOnly = false): ImportSymbol {
    const names = this.#namesOf(desc, "descs", () => this.f.importSchema(desc, typeOnly));
    const name = names?.descs.get(desc);
    return name === undefined || names === undefined
      ? this.f.importSchema(desc, typeOnly)
      : this.f.import(name, names.from, typeOnly);
  }

  /** As `f.importShape(desc)`. */
  shape(desc: DescMessage | DescEnum): ImportSymbol {
    const names = this.#namesOf(desc, "shapes", () => this.f.importShape(desc));
    const name = names?.shapes.get(desc);
    return name === undefined || names === undefined
      ? this.f.importShape(desc)
      : this.f.import(name, names.from, true);
  }

  #namesOf(
    desc: Named,
    kind: "shapes" | "descs",
    theirs: () => ImportSymbol,
  ): FileNames | undefined {
    const cached = this.#files.get(desc.file);
    if (cached !== undefined) return cached ?? undefined;
    const symbol = theirs();
    const computed = computeNames(desc.file);
    const agrees = computed[kind].get(desc) === symbol.name;
    const names = agrees ? { ...computed, from: symbol.from } : null;
    this.#files.set(desc.file, names);
    return names ?? undefined;
  }
}

function salt(i: number): string {
  return i === 0 ? "" : i === 1 ? "$" : `$${i - 1}`;
}

/** `Parent_Child` for `pkg.Parent.Child`: the type name without the package. */
function identifier(desc: Named | DescExtension): string {
  const pkg = desc.file.proto.package;
  return desc.typeName.substring(pkg.length > 0 ? pkg.length + 1 : 0).replace(/\./g, "_");
}

/** protoplugin's `allNames`, for shapes and descriptors. */
function computeNames(file: DescFile): { shapes: Map<Named, string>; descs: Map<Named, string> } {
  const taken = new Set<string>();
  const pick = (ideal: (i: number) => string): string => {
    for (let i = 0; ; i++) {
      const name = ideal(i);
      if (!taken.has(name)) {
        taken.add(name);
        return name;
      }
    }
  };
  const types = [...nestedTypes(file)];
  const shapes = new Map<Named, string>();
  for (const desc of types) {
    if (desc.kind !== "enum" && desc.kind !== "message") continue;
    shapes.set(
      desc,
      pick((i) => safeIdentifier(identifier(desc) + salt(i))),
    );
  }
  const descs = new Map<Named, string>();
  const fileName = `file_${file.name.replace(/[^a-zA-Z0-9_]+/g, "_")}`;
  pick((i) => safeIdentifier(fileName + salt(i)));
  for (const desc of types) {
    const suffix = desc.kind === "enum" || desc.kind === "message" ? "Schema" : "";
    const name = pick((i) => safeIdentifier(identifier(desc) + suffix + salt(i)));
    if (desc.kind !== "extension") descs.set(desc, name);
  }
  return { shapes, descs };
}
