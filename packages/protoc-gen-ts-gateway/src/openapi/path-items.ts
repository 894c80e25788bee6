import type { OperationEntry } from "./operations.js";
import type { JsonSchema } from "./schemas.js";

const parameter = /\{([^}]*)\}/g;

/**
 * The path with its parameter names left out (`/v1/{}:iapSettings`): OpenAPI
 * 3.1 forbids two paths that differ only in parameter names ("templated paths
 * with the same hierarchy but different templated names MUST NOT exist").
 */
export function pathShape(path: string): string {
  return path.replace(parameter, "{}");
}

/**
 * The operation moved under `target`, a path of the same shape, its path
 * parameters renamed to `target`'s position by position; each renamed
 * parameter's description says which field it fills. Google's iap/v1 has
 * `GET /v1/{name}:iapSettings` and `PATCH /v1/{iap_settings.name}:iapSettings`:
 * both become operations of `/v1/{name}:iapSettings`.
 */
export function underPath(entry: OperationEntry, target: string): OperationEntry {
  const from = [...entry.path.matchAll(parameter)].map((m) => m[1]!);
  const to = [...target.matchAll(parameter)].map((m) => m[1]!);
  const renamed = new Map(from.map((name, i) => [name, to[i]!]));
  const parameters = (entry.operation.parameters ?? []) as JsonSchema[];
  const operation: JsonSchema = {
    ...entry.operation,
    parameters: parameters.map((p) => {
      const name = p.in === "path" ? renamed.get(p.name as string) : undefined;
      if (name === undefined || name === p.name) return p;
      const note = `Fills \`${p.name as string}\`.`;
      return {
        ...p,
        name,
        description: p.description === undefined ? note : `${p.description as string}\n\n${note}`,
      };
    }),
  };
  return { ...entry, path: target, operation };
}
