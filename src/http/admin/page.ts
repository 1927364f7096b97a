/** The operator page: a shell that admin-app.js fills from /admin/data (no inline script, for the CSP). */
export function adminPage(): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Tidings · operator</title>
<style>
  :root { --ink: #1d2433; --muted: #667085; --line: #e4e7ec; --accent: #2e6bd1; --machine: #b0b7c3; --bad: #c4320a; }
  * { box-sizing: border-box; }
  body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", "Noto Sans CJK SC", "WenQuanYi Micro Hei", sans-serif; color: var(--ink); background: #f7f8fa; }
  header { display: flex; align-items: baseline; gap: 16px; padding: 14px 24px; background: #fff; border-bottom: 1px solid var(--line); }
  header h1 { font-size: 18px; margin: 0; }
  header a { color: var(--accent); text-decoration: none; }
  main { display: grid; grid-template-columns: minmax(420px, 1fr) minmax(420px, 1.2fr); gap: 20px; padding: 20px 24px; }
  section { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 16px; overflow-x: auto; }
  h2 { font-size: 15px; margin: 0 0 12px; }
  table { width: 100%; border-collapse: collapse; }
  th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid var(--line); white-space: nowrap; }
  th { color: var(--muted); font-weight: 500; font-size: 12px; }
  tr.send { cursor: pointer; }
  tr.send:hover, tr.send.selected { background: #eef4ff; }
  .bar { position: relative; width: 140px; height: 8px; background: var(--line); border-radius: 4px; overflow: hidden; display: inline-block; vertical-align: middle; }
  .bar > span { position: absolute; inset: 0 auto 0 0; background: var(--accent); }
  .status { font-size: 12px; padding: 1px 6px; border-radius: 10px; background: var(--line); }
  .status.sending, .status.fanning_out { background: #dbe8ff; } .status.finished { background: #dcfae6; } .status.paused { background: #fef0c7; } .status.cancelled, .status.failed { background: #fee4e2; }
  .cards { display: grid; grid-template-columns: repeat(4, 1fr); gap: 10px; margin-bottom: 16px; }
  .card { border: 1px solid var(--line); border-radius: 6px; padding: 8px 10px; }
  .card b { display: block; font-size: 20px; } .card small { color: var(--muted); }
  .legend { display: flex; gap: 14px; color: var(--muted); font-size: 12px; margin: 6px 0; }
  .legend i { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 4px; vertical-align: -1px; }
  .empty { color: var(--muted); }
  svg text { font-size: 10px; fill: var(--muted); }
</style>
</head>
<body>
<header><h1>Tidings</h1><span class="empty">operator</span><a href="/admin/queues">queues (Bull Board)</a><a href="/metrics">metrics</a></header>
<main>
  <section><h2>Sends</h2><table><thead><tr><th>#</th><th>issue → list</th><th>status</th><th>progress</th><th>sent</th><th>failed</th></tr></thead><tbody id="sends"><tr><td colspan="6" class="empty">loading…</td></tr></tbody></table></section>
  <section id="detail"><h2>Statistics</h2><p class="empty">Choose a send.</p></section>
</main>
<script src="/admin/app.js"></script>
</body>
</html>`;
}
