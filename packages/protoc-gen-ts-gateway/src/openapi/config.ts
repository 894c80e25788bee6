import { readFileSync } from "node:fs";
import { isMap, isScalar, LineCounter, parseDocument } from "yaml";
import type { ConfiguredOptions } from "./annotations.js";
import type { JsonSchema } from "./schemas.js";

/** A problem with the `openapi_configuration` file: reported like an error in a proto. */
export class OpenApiConfigurationError extends Error {
  constructor(path: string, message: string) {
    super(`openapi_configuration ${path}: ${message}`);
    this.name = "OpenApiConfigurationError";
  }
}

/**
 * What `openapi_configuration=<file.yaml>` adds to every document, in OpenAPI's
 * own spelling (grpc-gateway's `openapi_configuration` plays the same role):
 * `info` (merged over the generated title and version), `servers`,
 * `securitySchemes` (into `components`), `security`, `tags`, `externalDocs`.
 */
export interface OpenApiConfiguration {
  readonly info?: JsonSchema;
  readonly servers?: JsonSchema[];
  readonly securitySchemes?: JsonSchema;
  readonly security?: JsonSchema[];
  readonly tags?: JsonSchema[];
  readonly externalDocs?: JsonSchema;
  /**
   * grpc-gateway's `openapi_configuration` file: openapiv2 options per file,
   * method, message, service and field (`openapi_options` also accepted).
   */
  readonly openapiOptions?: ConfiguredOptions;
}

const shapes: Record<keyof OpenApiConfiguration | "openapi_options", "object" | "list"> = {
  info: "object",
  servers: "list",
  securitySchemes: "object",
  security: "list",
  tags: "list",
  externalDocs: "object",
  openapiOptions: "object",
  openapi_options: "object",
};

/** Reads and checks the configuration file; no path, no configuration. */
export function readOpenApiConfiguration(path: string | undefined): OpenApiConfiguration {
  if (path === undefined) return {};
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new OpenApiConfigurationError(path, err instanceof Error ? err.message : String(err));
  }
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines });
  const first = doc.errors[0];
  if (first !== undefined) throw new OpenApiConfigurationError(path, first.message);
  if (doc.contents === null) return {};
  if (!isMap(doc.contents)) throw new OpenApiConfigurationError(path, "expected a mapping");
  for (const pair of doc.contents.items) {
    const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
    const at = isScalar(pair.key) ? pair.key.range?.[0] : undefined;
    const where = at === undefined ? "" : `${lines.linePos(at).line}:${lines.linePos(at).col}: `;
    const shape = shapes[key as keyof typeof shapes];
    if (shape === undefined) {
      throw new OpenApiConfigurationError(
        path,
        `${where}unknown key "${key}"; expected ${Object.keys(shapes).join(", ")}`,
      );
    }
    const value = (pair.value as { toJSON?: () => unknown } | null)?.toJSON?.();
    const ok = shape === "list" ? Array.isArray(value) : isObject(value);
    if (!ok) {
      throw new OpenApiConfigurationError(
        path,
        `${where}"${key}" must be a ${shape === "list" ? "list" : "mapping"}`,
      );
    }
  }
  const { openapi_options, ...config } = doc.toJS() as OpenApiConfiguration & {
    openapi_options?: ConfiguredOptions;
  };
  const openapiOptions = config.openapiOptions ?? openapi_options;
  return openapiOptions === undefined ? config : { ...config, openapiOptions };
}

function isObject(value: unknown): boolean {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
