/**
 * A module resolve hook that the `bin` shim registers: protoplugin imports
 * TypeScript (and @typescript/vfs) for its transpile fallback, which this
 * plugin never runs, since it prints `.js` and `.d.ts` itself. Loading
 * TypeScript costs about a second per generation; this hands protoplugin an
 * empty module instead. Any other import resolves as usual.
 *
 * @module
 */
import type { ResolveHook } from "node:module";

const transpileModule = "/@bufbuild/protoplugin/dist/esm/transpile.js";

/** What `transpile.js` imports, with nothing behind it (it is never called). */
const emptyModule = `data:text/javascript,${encodeURIComponent(
  "export default {}; export const createDefaultMapFromNodeModules = undefined, createSystem = undefined, createVirtualCompilerHost = undefined;",
)}`;

export const resolve: ResolveHook = (specifier, context, next) => {
  if (
    (specifier === "typescript" || specifier === "@typescript/vfs") &&
    context.parentURL?.endsWith(transpileModule) === true
  ) {
    return { url: emptyModule, shortCircuit: true };
  }
  return next(specifier, context);
};
