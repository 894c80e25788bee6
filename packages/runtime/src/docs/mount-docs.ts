import type { IncomingMessage, ServerResponse } from "node:http";
import { posix } from "node:path";
import { Code, RpcError } from "../core/rpc-error.js";
import type { Mux } from "../mux/mux.js";
import { docsPage, initScript } from "./docs-page.js";
import { asset, loadSwaggerUiAssets, type StaticAsset } from "./swagger-ui-assets.js";

/** Options for {@link mountDocs}. */
export interface MountDocsOptions {
  /** The OpenAPI document: the parsed object, or its JSON text (e.g. a generated `*.openapi.json`). */
  spec: object | string;
  /** Where the page is served; its assets are served under `<path>/`. Default `/docs`. */
  path?: string;
  /** Where the document is served as JSON. Default `/openapi.json`. */
  specPath?: string;
  /** The page's title; default the document's `info.title`. */
  title?: string;
}

/** Swagger UI's files change only with the package: a day, then revalidate by ETag. */
const ASSET_CACHE = "public, max-age=86400";
/** The page and the document change with every deployment: always revalidate. */
const PAGE_CACHE = "no-cache";
const PAGE_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src *; frame-ancestors 'self'";

/**
 * Serves an OpenAPI document and a Swagger UI page to read it and try its
 * operations, for GET and HEAD: the document at `specPath` (`/openapi.json`),
 * the page at `path` (`/docs`) and Swagger UI's own files under `path/`, from
 * the installed `swagger-ui-dist` (no CDN). Only a fixed list of files is
 * served, from memory, with ETags (`If-None-Match` answers 304).
 *
 * @throws {Error} when swagger-ui-dist is not installed, the paths are not
 *   plain absolute paths, or `spec` is not JSON.
 */
export function mountDocs(mux: Mux, options: MountDocsOptions): Mux {
  const path = options.path ?? "/docs";
  const specPath = options.specPath ?? "/openapi.json";
  for (const p of [path, specPath]) {
    if (!/^(\/[A-Za-z0-9._~-]+)+$/.test(p) || p.split("/").some((s) => s === "." || s === "..")) {
      throw new Error(`mountDocs: "${p}" is not a plain absolute path like /docs`);
    }
  }
  const document = typeof options.spec === "string" ? parseSpec(options.spec) : options.spec;
  const title = options.title ?? infoTitle(document) ?? "API";
  const assetDir = posix.basename(path);
  const specUrl = posix.relative(posix.dirname(path), specPath);
  const assets = loadSwaggerUiAssets();
  assets.set("init.js", asset(initScript(specUrl), "text/javascript; charset=utf-8"));
  const page = asset(docsPage(title, assetDir), "text/html; charset=utf-8");
  const spec = asset(JSON.stringify(document), "application/json");

  for (const method of ["GET", "HEAD"]) {
    mux.handlePath(method, specPath, (req, res) => send(req, res, spec, PAGE_CACHE));
    mux.handlePath(method, path, (req, res) => {
      res.setHeader("Content-Security-Policy", PAGE_CSP);
      send(req, res, page, PAGE_CACHE);
    });
    mux.handlePath(method, `${path}/{file}`, (req, res, params) => {
      const file = assets.get(params.file ?? "");
      if (file === undefined) {
        throw new RpcError(`no docs file ${JSON.stringify(params.file)}`, Code.NotFound);
      }
      send(req, res, file, ASSET_CACHE);
    });
  }
  return mux;
}

function send(req: IncomingMessage, res: ServerResponse, a: StaticAsset, cache: string): void {
  res.setHeader("Content-Type", a.contentType);
  res.setHeader("ETag", a.etag);
  res.setHeader("Cache-Control", cache);
  res.setHeader("X-Content-Type-Options", "nosniff");
  if (matchesEtag(req.headers["if-none-match"], a.etag)) {
    res.statusCode = 304;
    res.end();
    return;
  }
  res.setHeader("Content-Length", a.body.length);
  res.end(req.method === "HEAD" ? undefined : a.body);
}

/** `If-None-Match`: `*` or a list of (possibly weak) ETags. */
function matchesEtag(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  return header
    .split(",")
    .map((t) => t.trim().replace(/^W\//, ""))
    .some((t) => t === "*" || t === etag);
}

function parseSpec(text: string): object {
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === "object" && parsed !== null) return parsed;
  } catch {
    // reported below
  }
  throw new Error("mountDocs: spec is not a JSON object");
}

function infoTitle(document: object): string | undefined {
  const title = (document as { info?: { title?: unknown } }).info?.title;
  return typeof title === "string" ? title : undefined;
}
