import type { JsonSchema } from "./schemas.js";

/**
 * How component schemas are named (`openapi_naming_strategy`, grpc-gateway's
 * flag of the same name): `fqn` the full proto name (`pkg.v1.Outer.Inner`,
 * the default here), `legacy` grpc-gateway's default (`v1OuterInner`: the
 * shortest unique suffix plus one package component, joined), `simple` the
 * shortest unique suffix (`Outer.Inner`, `v1.Book` where two packages have a
 * `Book`), `package` the name within its package (`Outer.Inner`), its package
 * components added only where two are the same.
 */
export type NamingStrategy = "fqn" | "legacy" | "simple" | "package";

export const namingStrategies: readonly NamingStrategy[] = ["fqn", "legacy", "simple", "package"];

/** The name of each full proto name (`pkg.Message`) under a strategy. */
export function schemaNames(
  fullNames: readonly string[],
  strategy: NamingStrategy,
): Map<string, string> {
  switch (strategy) {
    case "fqn":
      return new Map(fullNames.map((n) => [n, n]));
    case "legacy":
      return uniqueWithContext(fullNames, 1, "", false);
    case "simple":
      return uniqueWithContext(fullNames, 0, ".", false);
    case "package":
      return uniqueWithContext(fullNames, 0, ".", true);
  }
}

/**
 * grpc-gateway's `resolveNamesUniqueWithContext`: each name is the shortest
 * suffix of its components that no other name shares, plus `extra` more
 * components; with `nested` the type path inside the package (`Outer.Inner`)
 * counts as one component. Joined by `separator`; joined without one, each
 * lower-case component after the first is capitalized.
 */
function uniqueWithContext(
  fullNames: readonly string[],
  extra: number,
  separator: string,
  nested: boolean,
): Map<string, string> {
  const hierarchy = (name: string): string[] => {
    if (!nested) return name.split(".");
    const end = /\.[A-Z]/.exec(name);
    if (end === null) return name.split(".");
    return [...name.slice(0, end.index).split("."), name.slice(end.index + 1)];
  };
  const suffixes = new Map<string, number>();
  const key = (parts: readonly string[]) => JSON.stringify(parts);
  for (const name of fullNames) {
    const h = hierarchy(name);
    for (let depth = 0; depth < h.length; depth++) {
      const k = key(h.slice(h.length - depth));
      suffixes.set(k, (suffixes.get(k) ?? 0) + 1);
    }
  }
  const names = new Map<string, string>();
  for (const name of fullNames) {
    const h = hierarchy(name);
    let depth = 0;
    for (; depth < h.length; depth++) {
      if (depth + extra > 0 && suffixes.get(key(h.slice(h.length - depth))) === 1) break;
    }
    const components = h.slice(Math.max(0, h.length - depth - extra));
    if (separator === "" && components.length > 1) {
      for (let i = 1; i < components.length; i++) {
        const c = components[i]!;
        if (c !== "" && c === c.toLowerCase()) components[i] = c[0]!.toUpperCase() + c.slice(1);
      }
    }
    names.set(name, components.join(separator));
  }
  return names;
}

const prefix = "#/components/schemas/";

/** The document with its component schemas renamed under a strategy, every `$ref` to them too. */
export function renameSchemas(document: JsonSchema, strategy: NamingStrategy): JsonSchema {
  if (strategy === "fqn") return document;
  const components = document.components as { schemas?: Record<string, JsonSchema> } | undefined;
  const schemas = components?.schemas;
  if (schemas === undefined) return document;
  const names = schemaNames(Object.keys(schemas), strategy);
  const rename = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(rename);
    if (typeof value !== "object" || value === null) return value;
    const out: JsonSchema = {};
    for (const [k, v] of Object.entries(value)) {
      if (k === "$ref" && typeof v === "string" && v.startsWith(prefix)) {
        out[k] = prefix + (names.get(v.slice(prefix.length)) ?? v.slice(prefix.length));
      } else out[k] = rename(v);
    }
    return out;
  };
  const renamed = rename(document) as JsonSchema;
  const renamedComponents = renamed.components as { schemas: Record<string, JsonSchema> };
  renamedComponents.schemas = Object.fromEntries(
    Object.entries(renamedComponents.schemas).map(([k, v]) => [names.get(k) ?? k, v]),
  );
  return renamed;
}
