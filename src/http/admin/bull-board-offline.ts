import type { Express } from 'express';

/** Bull Board's page asks Google Fonts for IBM Plex (@bull-board/ui 9.10.1, dist/index.ejs). */
const EXTERNAL_STYLESHEET = /<link[^>]+href="https?:\/\/fonts\.(?:googleapis|gstatic)\.com[^"]*"[^>]*>\s*/g;

/** The page without requests that leave the machine: its CSS falls back to the system's sans-serif. */
export function withoutExternalFonts(html: string): string {
  return html.replace(EXTERNAL_STYLESHEET, '');
}

/**
 * Bull Board renders its page with EJS inside its own Express app; this wraps that app's EJS engine so the
 * page it sends has no external font link (the CSP would block it anyway, with an error in the console, and
 * an operator's browser should not tell Google who opens the queue page). The only dependency internal
 * touched, kept in this file; @bull-board/api is pinned.
 */
export function serveBullBoardOffline(boardApp: Express): void {
  const engines = (boardApp as unknown as { engines: Record<string, (file: string, options: object, done: (err: Error | null, html?: string) => void) => void> }).engines;
  const render = engines['.ejs'];
  if (!render) throw new Error('Bull Board no longer renders with EJS: revisit src/http/admin/bull-board-offline.ts');
  boardApp.engine('ejs', (file, options, done) => render(file, options, (err, html) => done(err, html === undefined ? undefined : withoutExternalFonts(html))));
}
