/**
 * Routes grouped by site: the hosts a request's `Host` (or HTTP/2
 * `:authority`) must name and the path prefix it must start with, each site
 * with its own {@link RouteTable}. Several APIs whose routes collide (Google's
 * aiplatform and agentregistry both have a `GetEndpoint` at the same
 * `GET /v1/{name=…}`) can so share one gateway, as virtual hosts do in Envoy.
 * Conflicts are checked within a site only.
 *
 * @module
 */

import type { CompiledPattern } from "./path-template.js";
import { type MatchResult, RouteTable, type RouteTableOptions } from "./route-table.js";

/** Where a group of routes is served. */
export interface Site {
  /**
   * Host names the request must be for (case-insensitive; a name without a
   * port matches any port; `*.example.com` matches its subdomains). Default:
   * any host.
   */
  readonly hosts?: readonly string[] | undefined;
  /** A prefix such as `/aiplatform`, stripped before the templates are matched. Default none. */
  readonly pathPrefix?: string | undefined;
}

interface SiteTable<T> {
  readonly key: string;
  readonly hosts: readonly string[] | undefined;
  readonly prefix: string;
  readonly table: RouteTable<T>;
}

/** Checks a path prefix: `/a` or `/a/b`, no trailing `/`, no query, no empty segment. */
export function checkPathPrefix(prefix: string): void {
  if (!/^(\/[^/?#{}*]+)+$/.test(prefix)) {
    throw new Error(
      `invalid path prefix ${JSON.stringify(prefix)}: write /name or /name/name (no trailing '/', '?', '#', '{', '*')`,
    );
  }
}

/** Checks a host pattern: a name (optionally `:port`) or `*.name`. */
function normalizeHost(host: string): string {
  const h = host.trim().toLowerCase();
  if (!/^(\*\.)?[a-z0-9_.-]+(:\d+)?$|^\[[0-9a-f:.]+\](:\d+)?$/.test(h)) {
    throw new Error(`invalid host ${JSON.stringify(host)}: write a name, name:port or *.name`);
  }
  return h;
}

/** The host name and port of a `Host` header (`[::1]:8080`, `api.example.com`). */
function splitAuthority(authority: string): { name: string; withPort: string } {
  const a = authority.toLowerCase();
  const close = a.lastIndexOf("]");
  const colon = a.lastIndexOf(":");
  const name = colon > close ? a.slice(0, colon) : a;
  return { name, withPort: a };
}

function hostMatches(hosts: readonly string[], authority: string): boolean {
  const { name, withPort } = splitAuthority(authority);
  for (const h of hosts) {
    if (h.startsWith("*.")) {
      if (name.endsWith(h.slice(1)) && name.length > h.length - 1) return true;
    } else if (h === name || h === withPort) {
      return true;
    }
  }
  return false;
}

/**
 * Route tables by site. A request is tried on the sites naming its host
 * first, then on those for any host; within each, the longest matching path
 * prefix first. The first site with a match answers; otherwise a 405 from any
 * site wins over a 404.
 */
export class SiteRoutes<T> {
  readonly #sites: SiteTable<T>[] = [];
  readonly #options: RouteTableOptions;

  constructor(options: RouteTableOptions = {}) {
    this.#options = options;
    // The default site (any host, no prefix) always exists: hand-written routes go there.
    this.#site({});
  }

  /** Number of routes added, over all sites. */
  get size(): number {
    return this.#sites.reduce((n, s) => n + s.table.size, 0);
  }

  /** Whether any site names hosts or a prefix. */
  get routed(): boolean {
    return this.#sites.length > 1;
  }

  #site(site: Site): SiteTable<T> {
    const prefix = site.pathPrefix ?? "";
    if (prefix !== "") checkPathPrefix(prefix);
    const hosts =
      site.hosts === undefined ? undefined : [...new Set(site.hosts.map(normalizeHost))].sort();
    if (hosts !== undefined && hosts.length === 0) throw new Error("hosts: give at least one host");
    const key = `${hosts?.join(",") ?? "*"} ${prefix}`;
    let found = this.#sites.find((s) => s.key === key);
    if (found === undefined) {
      found = { key, hosts, prefix, table: new RouteTable<T>(this.#options) };
      this.#sites.push(found);
      // Host-specific sites first, then longer prefixes first: the order requests try them.
      this.#sites.sort(
        (a, b) =>
          Number(a.hosts === undefined) - Number(b.hosts === undefined) ||
          b.prefix.length - a.prefix.length,
      );
    }
    return found;
  }

  /**
   * Adds a route to a site's table.
   *
   * @throws {Error} for a bad host or prefix, or a conflict within the site.
   */
  add(site: Site, httpMethod: string, pattern: CompiledPattern, value: T, name?: string): void {
    const s = this.#site(site);
    try {
      s.table.add(httpMethod, pattern, value, name);
    } catch (err) {
      if (s.key === "* ") throw err;
      const where = `${s.hosts === undefined ? "" : `hosts ${s.hosts.join(", ")}`}${s.hosts !== undefined && s.prefix !== "" ? ", " : ""}${s.prefix === "" ? "" : `pathPrefix ${s.prefix}`}`;
      throw new Error(`${(err as Error).message} (on ${where})`);
    }
  }

  /**
   * Matches a request. Never throws.
   *
   * @param authority The `Host` header or `:authority`; `undefined` matches only sites for any host.
   */
  match(authority: string | undefined, httpMethod: string, path: string): MatchResult<T> {
    let fallback: MatchResult<T> | undefined;
    for (const site of this.#sites) {
      if (
        site.hosts !== undefined &&
        (authority === undefined || !hostMatches(site.hosts, authority))
      ) {
        continue;
      }
      let rest = path;
      if (site.prefix !== "") {
        if (!path.startsWith(site.prefix)) continue;
        rest = path.slice(site.prefix.length);
        if (rest === "") rest = "/";
        else if (rest.charCodeAt(0) !== 47 /* / */) continue;
      }
      const m = site.table.match(httpMethod, rest);
      if (m.kind === "match") return m;
      if (fallback === undefined || fallback.kind === "not-found") fallback = m;
    }
    return fallback ?? { kind: "not-found" };
  }
}
