// Real googleapis protos from the google-proto-files devDependency, for the
// large-API tests: a buf workspace whose `google` folder is a link to the
// package's, so buf builds any of its 1,649 annotated files offline.
import { mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { repoRoot, run } from "../support/generate-inline.js";

export { repoRoot, run };

/** The google-proto-files package's root. */
export const googleProtoFiles = join(repoRoot, "node_modules/google-proto-files");

/** A temporary buf workspace holding google-proto-files' `google` tree; `dispose` removes it. */
export async function googleWorkspace(): Promise<{ dir: string; dispose: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), "ts-gateway-googleapis-"));
  await symlink(join(googleProtoFiles, "google"), join(dir, "google"));
  await writeFile(join(dir, "buf.yaml"), "version: v2\n");
  return { dir, dispose: () => rm(dir, { recursive: true, force: true }) };
}

/** The `file:line:col: pkg.Service.Method: reason` lines of a plugin's output. */
export function ruleLines(text: string): string[] {
  return text
    .split("\n")
    .map((line) => line.replace(/^.*?(google\/\S+\.proto:\d+:\d+: )/, "$1"))
    .filter((line) => /^google\/\S+\.proto:\d+:\d+: /.test(line))
    .sort();
}

/** `/v1/{}:x` for `/v1/{name}:x`: the paths OpenAPI 3.1 considers equal. */
export function pathShape(path: string): string {
  return path.replace(/\{[^}]*\}/g, "{}");
}
