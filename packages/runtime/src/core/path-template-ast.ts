/**
 * Syntax tree of a google.api.HttpRule path template, as produced by
 * `parsePathTemplate`. Every node carries the offset in the template text
 * where it starts, so that later checks can point at the culprit.
 *
 * ```
 * Template = "/" Segments [ Verb ] ;
 * Segments = Segment { "/" Segment } ;
 * Segment  = "*" | "**" | LITERAL | Variable ;
 * Variable = "{" FieldPath [ "=" Segments ] "}" ;
 * FieldPath = IDENT { "." IDENT } ;
 * Verb     = ":" LITERAL ;
 * ```
 *
 * @module
 */

/** A literal segment, e.g. `v1` in `/v1/{name}`. */
export interface LiteralNode {
  readonly kind: "literal";
  /** The segment exactly as written, percent escapes included. */
  readonly raw: string;
  /** The segment with its percent escapes decoded; requests are compared against this. */
  readonly value: string;
  readonly position: number;
}

/** `*`: exactly one non-empty path segment. */
export interface WildcardNode {
  readonly kind: "wildcard";
  readonly position: number;
}

/**
 * `**`: zero or more path segments at the end of the template, or one or more
 * when literal segments follow it (`/v1/{name=a/**}/b:verb`, as Envoy's and
 * ESP's transcoder match Google's routes); only literals may follow it.
 */
export interface DeepWildcardNode {
  readonly kind: "deep";
  readonly position: number;
}

/** A segment allowed inside a variable: anything but another variable. */
export type PlainSegmentNode = LiteralNode | WildcardNode | DeepWildcardNode;

/** `{field.path=segments}`; `{field}` is short for `{field=*}`. */
export interface VariableNode {
  readonly kind: "variable";
  /** The field path, one identifier per element: `book.name` is `["book", "name"]`. */
  readonly fieldPath: readonly string[];
  /** The sub-template; `[wildcard]` when the variable has no `=`. */
  readonly segments: readonly PlainSegmentNode[];
  /** Whether the variable was written with an explicit `=` sub-template. */
  readonly explicit: boolean;
  readonly position: number;
}

/** Any top-level segment of a template. */
export type SegmentNode = PlainSegmentNode | VariableNode;

/** A whole parsed template. */
export interface TemplateNode {
  /** The template text that was parsed. */
  readonly template: string;
  /** Top-level segments; empty only for the root template `/`. */
  readonly segments: readonly SegmentNode[];
  /** The custom verb without its `:`, decoded, if the template has one. */
  readonly verb?: string;
  /** Offset of the verb's `:` when there is a verb. */
  readonly verbPosition?: number;
}
