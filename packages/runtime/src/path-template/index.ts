// @ts-gateway/runtime/path-template: google.api.HttpRule path templates (parse,
// compile) and the route table that matches them, alone. protoc-gen-ts-gateway
// imports it at generation time (templates, route conflicts); it loads nothing
// else of the runtime: no grpc-js, no ws, no node: module.

export type { CompiledPattern, PatternSegment, PatternVariable } from "../core/path-template.js";
export {
  compilePathTemplate,
  compileTemplateNode,
  parsePathTemplate,
  pattern,
  TemplateError,
  variableEnd,
} from "../core/path-template.js";
export type {
  DeepWildcardNode,
  LiteralNode,
  PlainSegmentNode,
  SegmentNode,
  TemplateNode,
  VariableNode,
  WildcardNode,
} from "../core/path-template-ast.js";
export type {
  MatchResult,
  RouteConflict,
  RouteDefinition,
  RouteTableOptions,
  UnescapeMode,
} from "../core/route-table.js";
export { findConflicts, RouteTable } from "../core/route-table.js";
export type { Site } from "../core/site-routes.js";
export { SiteRoutes } from "../core/site-routes.js";
