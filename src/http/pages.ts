import { escapeHtml } from '../render/slots';

/** A small, accessible, mobile-friendly page. `body` is trusted HTML built by the caller with escaped values. */
export function page(title: string, body: string, options: { lang?: string; head?: string } = {}): string {
  return `<!doctype html>
<html lang="${escapeHtml(options.lang ?? 'en')}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${escapeHtml(title)}</title>
${options.head ?? ''}
<style>
  body { font: 16px/1.5 -apple-system, "PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", Helvetica, Arial, sans-serif; margin: 0; background: #f2f4f7; color: #1f2430; }
  main { max-width: 32rem; margin: 10vh auto; background: #fff; padding: 2rem; border-radius: 8px; }
  h1 { font-size: 1.4rem; margin-top: 0; }
  button { font: inherit; padding: .6rem 1.4rem; border: 0; border-radius: 6px; background: #2f5bea; color: #fff; cursor: pointer; }
  .archive li { margin-bottom: .8rem; }
  .muted, time { color: #5b6372; }
  button:focus { outline: 3px solid #9db4ff; outline-offset: 2px; }
</style>
</head>
<body><main>
<h1>${escapeHtml(title)}</h1>
${body}
</main></body>
</html>`;
}

export const paragraph = (text: string) => `<p>${escapeHtml(text)}</p>`;
