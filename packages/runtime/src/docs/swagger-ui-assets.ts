import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

/** One static file, read once and served from memory. */
export interface StaticAsset {
  readonly body: Buffer;
  readonly contentType: string;
  /** A strong ETag of the content. */
  readonly etag: string;
}

/**
 * The swagger-ui-dist files the docs page uses, by the name they are served
 * under. Only these names are ever served: a request names a key of this
 * table, never a path on disk, so no request can reach another file.
 */
const files: Readonly<Record<string, string>> = {
  "swagger-ui.css": "text/css; charset=utf-8",
  "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
  "favicon-32x32.png": "image/png",
  "favicon-16x16.png": "image/png",
};

/**
 * Loads Swagger UI's assets from the installed `swagger-ui-dist` (an optional
 * peer dependency of the runtime).
 *
 * @throws {Error} when swagger-ui-dist is not installed.
 */
export function loadSwaggerUiAssets(): Map<string, StaticAsset> {
  let dir: string;
  try {
    dir = dirname(createRequire(import.meta.url).resolve("swagger-ui-dist/package.json"));
  } catch {
    throw new Error(
      "mountDocs needs the swagger-ui-dist package: npm install swagger-ui-dist (an optional peer dependency of @ts-gateway/runtime)",
    );
  }
  const assets = new Map<string, StaticAsset>();
  for (const [name, contentType] of Object.entries(files)) {
    assets.set(name, asset(readFileSync(join(dir, name)), contentType));
  }
  return assets;
}

/** A static asset from its content. */
export function asset(body: Buffer | string, contentType: string): StaticAsset {
  const bytes = typeof body === "string" ? Buffer.from(body) : body;
  const hash = createHash("sha256").update(bytes).digest("base64url").slice(0, 27);
  return { body: bytes, contentType, etag: `"${hash}"` };
}
