import { escapeHtml } from '../../render/slots';

/** The app's one HTML page: the built script fills it (no inline script, so the CSP stays strict). */
export function appShell(assets: { js: string; css: string }): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light">
<title>Tidings</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/admin/assets/${escapeHtml(assets.css)}">
<script type="module" src="/admin/assets/${escapeHtml(assets.js)}"></script>
</head>
<body>
<div id="app"><noscript>The Tidings operator app needs JavaScript.</noscript></div>
</body>
</html>`;
}

export function appUnbuilt(): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Tidings</title></head><body>
<h1>The operator app is not built</h1><p>Run <code>npm run build</code> (or <code>npm install</code>, which runs it), then reload.</p></body></html>`;
}
