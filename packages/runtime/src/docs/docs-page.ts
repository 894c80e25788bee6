/** Escapes text for an HTML text node or a double-quoted attribute. */
function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * The docs page: Swagger UI's stylesheet and bundle, and the script that
 * starts it, all as relative URLs under `assetDir`, so the page also works
 * behind a proxy that adds a path prefix. No inline script (a strict
 * Content-Security-Policy holds).
 */
export function docsPage(title: string, assetDir: string): string {
  const t = escapeHtml(title);
  const a = escapeHtml(assetDir);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${t}</title>
<link rel="stylesheet" href="${a}/swagger-ui.css">
<link rel="icon" type="image/png" href="${a}/favicon-32x32.png" sizes="32x32">
</head>
<body>
<div id="swagger-ui"></div>
<script src="${a}/swagger-ui-bundle.js"></script>
<script src="${a}/init.js"></script>
</body>
</html>
`;
}

/** The script that starts Swagger UI on the spec at `specUrl` (relative to the page). */
export function initScript(specUrl: string): string {
  return `window.ui = SwaggerUIBundle({
  url: new URL(${JSON.stringify(specUrl)}, document.baseURI).href,
  dom_id: "#swagger-ui",
  deepLinking: true,
  tryItOutEnabled: false,
  validatorUrl: null,
});
`;
}
