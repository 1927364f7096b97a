import type { IncomingMessage } from 'node:http';
import { catalogueFor, negotiateLanguage, type Catalogue } from '../i18n/catalogues';
import { escapeHtml } from '../render/slots';

/**
 * A small, accessible, mobile-friendly page in one catalogue's language (its `lang` attribute too).
 * `body` is trusted HTML built by the caller with escaped values.
 */
export function page(t: Catalogue, title: string, body: string, options: { head?: string } = {}): string {
  return `<!doctype html>
<html lang="${escapeHtml(t.lang)}">
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
  input[type=email], input[type=text] { font: inherit; width: 100%; padding: .4rem; box-sizing: border-box; }
  .archive li { margin-bottom: .8rem; }
  .muted, time { color: #5b6372; }
  .field-error { color: #b42318; margin: .3rem 0 0; }
  input[aria-invalid=true] { border: 2px solid #b42318; }
  button:focus, input:focus { outline: 3px solid #9db4ff; outline-offset: 2px; }
</style>
</head>
<body><main>
<h1>${escapeHtml(title)}</h1>
${body}
</main></body>
</html>`;
}

export const paragraph = (text: string) => `<p>${escapeHtml(text)}</p>`;

/** A page with a title and one sentence: errors, confirmations. */
export const notice = (t: Catalogue, title: string, text: string) => page(t, title, paragraph(text));

/** The catalogue for a page that belongs to no list: the reader's browser languages decide. */
export function requestCatalogue(req: Pick<IncomingMessage, 'headers'>): Catalogue {
  const header = req.headers['accept-language'];
  return catalogueFor(negotiateLanguage(Array.isArray(header) ? header[0] : header));
}

/**
 * A labelled text or email input. With `error`, the message stands right under the field, tied to it
 * (aria-describedby) and announced, and the field says it is invalid: a reader sees what to fix where.
 */
export function inputField(field: { id: string; name: string; label: string; type: 'email' | 'text'; value?: string; error?: string; required?: boolean; autocomplete: string; maxlength?: number }): string {
  const errorId = `${field.id}-error`;
  const attributes = [
    `id="${escapeHtml(field.id)}"`,
    `name="${escapeHtml(field.name)}"`,
    `type="${field.type}"`,
    field.required ? 'required' : '',
    `autocomplete="${escapeHtml(field.autocomplete)}"`,
    field.maxlength ? `maxlength="${field.maxlength}"` : '',
    field.value ? `value="${escapeHtml(field.value)}"` : '',
    field.error ? `aria-invalid="true" aria-describedby="${escapeHtml(errorId)}"` : '',
  ].filter(Boolean);
  return `<p><label for="${escapeHtml(field.id)}">${escapeHtml(field.label)}</label><br>
<input ${attributes.join(' ')}>${field.error ? `\n<span class="field-error" id="${escapeHtml(errorId)}" role="alert">${escapeHtml(field.error)}</span>` : ''}</p>`;
}

/** A form that is one button: every change a reader makes is a POST (link scanners follow GETs). */
export function buttonForm(action: string, label: string, hidden: Record<string, string> = {}): string {
  const fields = Object.entries(hidden).map(([name, value]) => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`).join('');
  return `<form method="post" action="${escapeHtml(action)}">${fields}<p><button type="submit">${escapeHtml(label)}</button></p></form>`;
}
