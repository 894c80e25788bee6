// @ts-gateway/runtime/path-template: the HttpRule path-template parser and
// compiler, for the plugin (which parses templates at generation time) and
// for tools. Pure: loads neither grpc-js, ws nor any node: module.

export {
  compilePathTemplate,
  parsePathTemplate,
  pattern,
  TemplateError,
} from "./core/path-template.js";
export type { CompiledPattern, PatternSegment, PatternVariable } from "./core/path-template.js";
export type { TemplateNode } from "./core/path-template-ast.js";
export { findConflicts } from "./core/route-table.js";
export type { RouteConflict, RouteDefinition } from "./core/route-table.js";
export type { UnescapeMode } from "./core/path-unescape.js";
