// Preloaded with `node --import` by the no-Express test: makes `express`
// unresolvable, for `import` (a module resolve hook) and for `require`, as if
// it were not installed.
import Module, { register } from "node:module";

register(
  `data:text/javascript,${encodeURIComponent(`
    export async function resolve(specifier, context, next) {
      if (specifier === "express" || specifier.startsWith("express/")) {
        const error = new Error("Cannot find package 'express' (hidden by the test)");
        error.code = "ERR_MODULE_NOT_FOUND";
        throw error;
      }
      return next(specifier, context);
    }
  `)}`,
);

const resolveFilename = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  if (request === "express" || request.startsWith("express/")) {
    const error = new Error("Cannot find module 'express' (hidden by the test)");
    error.code = "MODULE_NOT_FOUND";
    throw error;
  }
  return resolveFilename.call(this, request, ...rest);
};
