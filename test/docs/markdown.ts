// The pages the docs tests read (the README and docs/*.md) and their fenced
// code blocks.
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

/** The README and every page of docs/, as paths from the repository's root. */
export const pages = [
  "README.md",
  ...readdirSync(join(root, "docs"))
    .filter((f) => f.endsWith(".md"))
    .map((f) => `docs/${f}`),
];

/** A page's text. */
export const text = (page: string): string => readFileSync(join(root, page), "utf8");

/** A fenced code block. */
export interface Block {
  /** The fence's language (`ts`, `yaml`…), or "". */
  readonly lang: string;
  /** The rest of the fence's line after the language (`fragment` in "```ts fragment"). */
  readonly info: string;
  readonly code: string;
  /** The line of the opening fence, from 1. */
  readonly line: number;
}

export function blocks(markdown: string): Block[] {
  const out: Block[] = [];
  for (const m of markdown.matchAll(/^```(\w*)([^\n]*)\n([\s\S]*?)^```/gm)) {
    const line = markdown.slice(0, m.index).split("\n").length;
    out.push({ lang: m[1] ?? "", info: m[2] ?? "", code: m[3] ?? "", line });
  }
  return out;
}
