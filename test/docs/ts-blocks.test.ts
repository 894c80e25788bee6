// Runs in test:integration: a TypeScript compiler run over every page (about 8 s).
//
// The TypeScript blocks of the README and docs/ stay true to the packages'
// API: each block is type-checked under the repository's tsconfig as a module
// of examples/library/src (so `./gen/library/v1/...` is the example's
// generated code and `@ts-gateway/runtime` the workspace package). Blocks
// are excerpts: names they use without declaring (`mux`, `app`, `channel`),
// modules of a user's own project (`./notes.js`) and packages this
// repository does not install are not errors; a wrong import, option, member
// or argument from our packages is. A block that is not a whole statement
// list (a class member) says so on its fence: "```ts fragment", and is left out.
import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, it } from "node:test";
import ts from "typescript";
import { blocks, pages, root, text } from "./markdown.js";

/** What an excerpt may leave to the reader's project. */
const excerptCodes = new Set([
  2304, // Cannot find name 'mux'.
  2552, // Cannot find name 'x'. Did you mean 'y'?
  18004, // No value exists in scope for the shorthand property 'mux'.
  7006, // Parameter 'call' implicitly has an 'any' type (a callback of an undeclared name).
  2451, // Cannot redeclare 'mux': one block showing two alternatives.
]);

/** Whether a "cannot find module" is the reader's: their own files, or a package we do not install. */
function readersModule(text: string): boolean {
  const name = /Cannot find module '([^']+)'/.exec(text)?.[1] ?? "";
  if (name.startsWith("./gen/library/")) return false;
  if (name.startsWith(".")) return true;
  try {
    import.meta.resolve(name);
    return false;
  } catch {
    return true;
  }
}

interface TsBlock {
  readonly page: string;
  /** The block's first line of code. */
  readonly line: number;
  readonly code: string;
}

function tsBlocks(): TsBlock[] {
  return pages.flatMap((page) =>
    blocks(text(page))
      .filter((b) => (b.lang === "ts" || b.lang === "typescript") && !/\bfragment\b/.test(b.info))
      .map((b) => ({ page, line: b.line + 1, code: b.code })),
  );
}

/** `page:line: TSnnnn message` for every error in the blocks that is not an excerpt's. */
function typeErrors(excerpts: readonly TsBlock[]): string[] {
  const files = new Map<string, TsBlock>();
  for (const [i, block] of excerpts.entries()) {
    // `export {}` makes each block a module of its own, as a user's file is.
    files.set(join(root, `examples/library/src/__doc_block_${i}.ts`), block);
  }
  const text = (name: string) => {
    const block = files.get(name);
    return block === undefined ? undefined : `export {};\n${block.code}`;
  };
  const parsed = ts.getParsedCommandLineOfConfigFile(
    join(root, "tsconfig.json"),
    {},
    { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} },
  );
  assert.ok(parsed !== undefined);
  const options = { ...parsed.options, noEmit: true, noUnusedLocals: false };
  const host = ts.createCompilerHost(options);
  const { getSourceFile, fileExists, readFile } = host;
  host.getSourceFile = (name, language, ...rest) => {
    const own = text(name);
    return own === undefined
      ? getSourceFile.call(host, name, language, ...rest)
      : ts.createSourceFile(name, own, language);
  };
  host.fileExists = (name) => files.has(name) || fileExists.call(host, name);
  host.readFile = (name) => text(name) ?? readFile.call(host, name);
  const program = ts.createProgram([...files.keys()], options, host);
  const errors: string[] = [];
  for (const d of ts.getPreEmitDiagnostics(program)) {
    const block = d.file === undefined ? undefined : files.get(d.file.fileName);
    if (block === undefined || d.file === undefined) continue;
    const message = ts.flattenDiagnosticMessageText(d.messageText, " ");
    if (excerptCodes.has(d.code)) continue;
    if (d.code === 2307 && readersModule(message)) continue;
    // Line 1 of the checked text is the `export {}` line.
    const at = d.file.getLineAndCharacterOfPosition(d.start ?? 0).line - 1;
    errors.push(`${block.page}:${block.line + at}: TS${d.code} ${message}`);
  }
  return errors;
}

describe("docs: TypeScript blocks", { timeout: 120_000 }, () => {
  it("every block type-checks against the packages' API", () => {
    const found = tsBlocks();
    assert.ok(found.length >= 20, `${found.length} blocks`);
    assert.deepEqual(typeErrors(found), []);
  });

  it("a block that uses the API wrongly is reported at its page and line", () => {
    const wrong: TsBlock = {
      page: "docs/example.md",
      line: 10,
      code: 'import { Mux } from "@ts-gateway/runtime";\nnew Mux({ notAnOption: true });\n',
    };
    const errors = typeErrors([wrong]);
    assert.equal(errors.length, 1, errors.join("\n"));
    assert.match(errors[0]!, /^docs\/example\.md:11: TS2353 .*notAnOption/);
  });
});
