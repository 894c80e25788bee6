/**
 * The route table: matches a request method and raw path against compiled
 * HttpRule patterns, with deterministic precedence and 404/405 answers.
 *
 * @module
 */

import { type CompiledPattern, isMultiSegment, variableEnd } from "./path-template.js";
import {
  isUnescapeMode,
  type UnescapeMode,
  unescapeAll,
  unescapeMultiSegment,
} from "./path-unescape.js";

export type { UnescapeMode } from "./path-unescape.js";

/** Options of a {@link RouteTable}. */
export interface RouteTableOptions {
  /** How multi-segment variables are percent-decoded; see {@link UnescapeMode}. Default `"spec"`. */
  unescape?: UnescapeMode;
}

/** The answer of {@link RouteTable.match}. */
export type MatchResult<T> =
  /** A route matched; `params` are the variables in template order, decoded. */
  | {
      readonly kind: "match";
      readonly value: T;
      readonly params: Array<[fieldPath: string, value: string]>;
    }
  /** The path matches routes of other methods only: answer 405 with `Allow: allow.join(", ")`. */
  | { readonly kind: "method-not-allowed"; readonly allow: readonly string[] }
  /** Nothing matches the path. */
  | { readonly kind: "not-found" }
  /** The path is malformed (bad percent-encoding, no leading `/`): answer 400. */
  | { readonly kind: "bad-path"; readonly message: string };

/** Two routes of the same method whose patterns match exactly the same paths. */
export interface RouteConflict {
  readonly method: string;
  /** Name of the route registered first. */
  readonly first: string;
  /** Name of the route that conflicts with it. */
  readonly second: string;
  readonly message: string;
}

/** A route as given to {@link findConflicts}. */
export interface RouteDefinition {
  readonly method: string;
  readonly pattern: CompiledPattern;
  /** Defaults to `"<method> <template>"`. */
  readonly name?: string;
}

interface Variable {
  readonly fieldPath: string;
  /** Offsets into the split request path (which starts with an empty element). */
  readonly start: number;
  readonly end: number;
  readonly multi: boolean;
}

interface Route<T> {
  readonly method: string;
  readonly name: string;
  readonly pattern: CompiledPattern;
  readonly value: T;
  readonly variables: readonly Variable[];
}

/** A trie node; its depth is the index of the segment it consumes next. */
class Node<T> {
  literals: Map<string, Node<T>> | undefined = undefined;
  wildcard: Node<T> | undefined = undefined;
  /**
   * The node after a `**`: its `end`/`endVerbs` are the patterns ending with
   * `**`, its literal children those where literals follow the `**`.
   */
  deep: Node<T> | undefined = undefined;
  /** The route without verb whose pattern ends here. */
  end: Route<T> | undefined = undefined;
  /** Routes with a verb whose pattern ends here, by verb. */
  endVerbs: Map<string, Route<T>> | undefined = undefined;
}

interface MethodTrie<T> {
  readonly root: Node<T>;
  /** Every verb used by this method's routes, to skip the verb pass quickly. */
  readonly verbs: Set<string>;
}

const NOT_FOUND = Object.freeze({ kind: "not-found" as const });

function routeName(method: string, pattern: CompiledPattern, name: string | undefined): string {
  return name ?? `${method} ${pattern.template}`;
}

function conflictMessage(method: string, first: string, second: string, template: string): string {
  return `route "${second}" conflicts with route "${first}": both match ${method} ${template}`;
}

/** Rejects hand-made patterns that compilePathTemplate would never produce. */
function checkPattern(pattern: CompiledPattern): void {
  const n = pattern.segments.length;
  const deepAt = pattern.segments.findIndex((s) => s.kind === "deep");
  pattern.segments.forEach((s, i) => {
    if (deepAt !== -1 && i > deepAt && s.kind !== "literal") {
      throw new Error(`invalid pattern ${pattern.template}: only literals may follow '**'`);
    }
  });
  for (const v of pattern.variables) {
    const end = variableEnd(v, n);
    // A variable holds the `**` exactly when its end counts from the path's end.
    const holdsDeep = deepAt >= v.start && deepAt < end;
    if (!(v.start >= 0 && v.start < end && end <= n && holdsDeep === v.end < 0)) {
      throw new Error(`invalid pattern ${pattern.template}: bad range for variable ${v.fieldPath}`);
    }
  }
}

/**
 * Finds the route for `segs[i..n)` below `node`: literal beats `*` beats `**`,
 * backtracking. A `**` followed by literals takes the fewest segments (at
 * least one) after which the literals match, as Envoy's path matcher does.
 */
function search<T>(
  node: Node<T>,
  segs: readonly string[],
  i: number,
  n: number,
  verb: string,
): Route<T> | undefined {
  if (i === n) {
    const end = verb === "" ? node.end : node.endVerbs?.get(verb);
    if (end !== undefined) return end;
  } else {
    const literals = node.literals;
    if (literals !== undefined) {
      const child = literals.get(segs[i]!);
      if (child !== undefined) {
        const found = search(child, segs, i + 1, n, verb);
        if (found !== undefined) return found;
      }
    }
    const wildcard = node.wildcard;
    if (wildcard !== undefined) {
      const found = search(wildcard, segs, i + 1, n, verb);
      if (found !== undefined) return found;
    }
  }
  const deep = node.deep;
  if (deep === undefined) return undefined;
  const after = deep.literals;
  if (after !== undefined) {
    for (let j = i + 1; j < n; j++) {
      const child = after.get(segs[j]!);
      if (child === undefined) continue;
      const found = search(child, segs, j + 1, n, verb);
      if (found !== undefined) return found;
    }
  }
  return verb === "" ? deep.end : deep.endVerbs?.get(verb);
}

/**
 * Routes requests to values by HTTP method and HttpRule path pattern.
 *
 * Matching is deterministic and independent of registration order: at each
 * segment a literal beats `*`, which beats `**`, and a more specific branch
 * that fails further on falls back to the next one. A `**` followed by
 * literal segments (`/v1/{name=a/**}/b`) takes the fewest segments, at least
 * one, after which those literals match, and beats a `**` that ends the
 * pattern (Envoy's path matcher does the same). Patterns that match the
 * same paths for the same method are rejected by {@link RouteTable.add}.
 *
 * Path rules:
 * - the path must start with `/`; `/` alone matches only the template `/`;
 * - empty segments never match: `/v1/shelves/` (trailing slash) does not match
 *   `/v1/shelves` nor `/v1/shelves/{id}`, and `/v1//shelves` matches nothing
 *   (as in grpc-gateway);
 * - segments are split on `/` only, never on `%2F`; literal segments are
 *   compared with the percent-decoded request segment, so `/%76%31/x` matches
 *   `/v1/x`;
 * - custom verbs: when the last segment contains `:`, the text after its last
 *   `:` is first tried as a verb against verb routes; if none matches, the
 *   whole path is matched against routes without verb, so `/v1/books/a:b`
 *   gives `{id}` = `a:b` when there is no `:b` route. A verb route never
 *   matches a path without its verb;
 * - HTTP methods are compared exactly (case-sensitive).
 */
export class RouteTable<T> {
  private readonly tries = new Map<string, MethodTrie<T>>();
  /** Registered methods, sorted, for stable `Allow` lists. */
  private methods: string[] = [];
  private readonly unescape: UnescapeMode;
  private count = 0;

  constructor(options: RouteTableOptions = {}) {
    const mode = options.unescape ?? "spec";
    if (!isUnescapeMode(mode)) throw new Error(`unknown unescape mode ${JSON.stringify(mode)}`);
    this.unescape = mode;
  }

  /** Number of routes added. */
  get size(): number {
    return this.count;
  }

  /**
   * Adds a route. `name` (default `"<method> <template>"`) is used in messages.
   *
   * @throws {Error} if a route of the same method already has an equivalent
   * pattern (same segments and verb, whatever the variable names); the message
   * names both routes.
   */
  add(httpMethod: string, pattern: CompiledPattern, value: T, name?: string): void {
    checkPattern(pattern);
    const route: Route<T> = {
      method: httpMethod,
      name: routeName(httpMethod, pattern, name),
      pattern,
      value,
      variables: pattern.variables.map((v) => ({
        fieldPath: v.fieldPath,
        start: v.start + 1,
        end: v.end < 0 ? v.end : v.end + 1,
        multi: isMultiSegment(v),
      })),
    };
    let trie = this.tries.get(httpMethod);
    if (trie === undefined) {
      trie = { root: new Node<T>(), verbs: new Set() };
      this.tries.set(httpMethod, trie);
      this.methods = [...this.methods, httpMethod].sort();
    }
    let node = trie.root;
    for (const segment of pattern.segments) {
      if (segment.kind === "literal") {
        node.literals ??= new Map();
        let child = node.literals.get(segment.value);
        if (child === undefined) {
          child = new Node<T>();
          node.literals.set(segment.value, child);
        }
        node = child;
      } else if (segment.kind === "wildcard") {
        node.wildcard ??= new Node<T>();
        node = node.wildcard;
      } else {
        node.deep ??= new Node<T>();
        node = node.deep;
      }
    }
    const verb = pattern.verb ?? "";
    let existing: Route<T> | undefined;
    if (verb === "") {
      existing = node.end;
      if (existing === undefined) node.end = route;
    } else {
      node.endVerbs ??= new Map();
      existing = node.endVerbs.get(verb);
      if (existing === undefined) node.endVerbs.set(verb, route);
      trie.verbs.add(verb);
    }
    if (existing !== undefined) {
      throw new Error(conflictMessage(httpMethod, existing.name, route.name, pattern.template));
    }
    this.count++;
  }

  /**
   * Matches a request. Never throws.
   *
   * @param httpMethod The request method, compared exactly.
   * @param path The raw request path: percent-encoded, without query string.
   */
  match(httpMethod: string, path: string): MatchResult<T> {
    if (typeof path !== "string" || path.charCodeAt(0) !== 47) {
      return { kind: "bad-path", message: "request path must start with '/'" };
    }
    const segs = path.split("/");
    // segs[0] is "" (before the leading '/'); "/" alone has no segments.
    const n = path.length === 1 ? 1 : segs.length;
    let decoded = segs;
    let empty = false;
    if (path.indexOf("%") === -1) {
      for (let i = 1; i < n; i++) if (segs[i] === "") empty = true;
    } else {
      decoded = segs.slice();
      for (let i = 1; i < n; i++) {
        const raw = segs[i]!;
        if (raw === "") empty = true;
        const value = unescapeAll(raw);
        if (typeof value !== "string") return { kind: "bad-path", message: value.error };
        decoded[i] = value;
      }
    }
    if (empty) return NOT_FOUND;
    const trie = this.tries.get(httpMethod);
    if (trie !== undefined) {
      const found = this.locate(trie, path, segs, decoded, n, true);
      if (found !== undefined) return found;
    }
    const allow: string[] = [];
    for (const method of this.methods) {
      if (method === httpMethod) continue;
      if (this.locate(this.tries.get(method)!, path, segs, decoded, n, false) !== undefined) {
        allow.push(method);
      }
    }
    return allow.length === 0 ? NOT_FOUND : { kind: "method-not-allowed", allow };
  }

  /**
   * Tries the verb pass, then the whole path. `segs`/`decoded` are restored
   * before returning. With `withParams` false the params are not computed.
   */
  private locate(
    trie: MethodTrie<T>,
    path: string,
    segs: string[],
    decoded: string[],
    n: number,
    withParams: boolean,
  ): MatchResult<T> | undefined {
    const last = n - 1;
    if (trie.verbs.size > 0 && last > 0) {
      const raw = segs[last]!;
      const colon = raw.lastIndexOf(":");
      if (colon > 0 && colon < raw.length - 1) {
        const verb = unescapeAll(raw.slice(colon + 1));
        if (typeof verb === "string" && trie.verbs.has(verb)) {
          const lastDecoded = decoded[last]!;
          const prefix = raw.slice(0, colon);
          const prefixDecoded = decoded === segs ? prefix : unescapeAll(prefix);
          if (typeof prefixDecoded === "string") {
            segs[last] = prefix;
            decoded[last] = prefixDecoded;
            const route = search(trie.root, decoded, 1, n, verb);
            const result = route && this.result(route, path, segs, decoded, n, withParams);
            segs[last] = raw;
            decoded[last] = lastDecoded;
            if (result !== undefined) return result;
          }
        }
      }
    }
    const route = search(trie.root, decoded, 1, n, "");
    return route && this.result(route, path, segs, decoded, n, withParams);
  }

  private result(
    route: Route<T>,
    path: string,
    segs: readonly string[],
    decoded: readonly string[],
    n: number,
    withParams: boolean,
  ): MatchResult<T> {
    const params: Array<[string, string]> = [];
    if (withParams) {
      for (const v of route.variables) {
        if (!v.multi) {
          params.push([v.fieldPath, decoded[v.start]!]);
          continue;
        }
        // Segments are contiguous in the path: slice it rather than join them.
        const end = v.end < 0 ? n + v.end + 1 : v.end;
        let from = 0;
        for (let i = 0; i < v.start; i++) from += segs[i]!.length + 1;
        let to = from - 1;
        for (let i = v.start; i < end; i++) to += segs[i]!.length + 1;
        const raw = to > from ? path.slice(from, to) : "";
        const value = unescapeMultiSegment(raw, this.unescape);
        if (typeof value !== "string") return { kind: "bad-path", message: value.error };
        params.push([v.fieldPath, value]);
      }
    }
    return { kind: "match", value: route.value, params };
  }
}

function escapeKey(text: string): string {
  return encodeURIComponent(text).replace(/\*/g, "%2A");
}

/** A canonical text for a pattern: equal for patterns that match the same paths. */
export function patternKey(pattern: CompiledPattern): string {
  const parts = pattern.segments.map((s) =>
    s.kind === "literal" ? `/${escapeKey(s.value)}` : s.kind === "wildcard" ? "/*" : "/**",
  );
  const verb =
    pattern.verb === undefined || pattern.verb === "" ? "" : `:${escapeKey(pattern.verb)}`;
  return (parts.length === 0 ? "/" : parts.join("")) + verb;
}

/**
 * Finds routes that a {@link RouteTable} would reject: same method and
 * equivalent patterns (same segments and verb, whatever the variable names).
 * Pure, for generation-time checks; each later duplicate is reported against
 * the first route with that key.
 */
export function findConflicts(routes: Iterable<RouteDefinition>): RouteConflict[] {
  const firsts = new Map<string, string>();
  const conflicts: RouteConflict[] = [];
  for (const route of routes) {
    const name = routeName(route.method, route.pattern, route.name);
    const key = `${route.method} ${patternKey(route.pattern)}`;
    const first = firsts.get(key);
    if (first === undefined) {
      firsts.set(key, name);
      continue;
    }
    conflicts.push({
      method: route.method,
      first,
      second: name,
      message: conflictMessage(route.method, first, name, route.pattern.template),
    });
  }
  return conflicts;
}
