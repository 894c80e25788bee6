import { readFileSync } from "node:fs";

/** PEM text written inline in the config, or the file a path names (resolved by `path`). */
export function readPem(source: string, path: (p: string) => string): Buffer {
  if (source.trimStart().startsWith("-----BEGIN")) return Buffer.from(source);
  return readFileSync(path(source));
}
