import { randomBytes } from 'node:crypto';
import { escapeHtml, singleLine } from '../render/slots';
import type { DkimSigner } from './dkim';
import { foldHeader, mailboxHeader, rfc5322Date, unstructuredHeader } from './headers';

export interface LinkEmailInput {
  from: { name: string; address: string };
  to: { name: string; address: string };
  sendingDomain: string;
  /** The language of the list (its catalogue's tag): the html element's lang and Content-Language. */
  lang: string;
  subject: string;
  /** Plain sentences; the link goes between them. */
  intro: string;
  button: string;
  outro: string;
  url: string;
  /** More personal links, one a line under the button ("Unsubscribe from …"). */
  more?: { label: string; url: string }[];
  dkim?: DkimSigner;
}

const base64Lines = (text: string) => (Buffer.from(text, 'utf8').toString('base64').match(/.{1,76}/g) ?? []).join('\r\n') + '\r\n';

/**
 * An email a reader gets from the reader pages, with one personal link as a button: the double opt-in
 * email, a fresh link for an expired one, the links asked for on the unsubscribe page. Short,
 * multipart/alternative (text first), UTF-8, every header encoded and folded by the same helpers as
 * newsletters, and DKIM-signed when configured. The subscriber's name goes through singleLine (no header
 * injection) and escapeHtml.
 */
export function buildLinkEmail(input: LinkEmailInput, now = new Date()): Buffer {
  const boundary = `----=_tidings_link_${randomBytes(12).toString('hex')}`;
  const head = [
    mailboxHeader('From', input.from.name, input.from.address),
    mailboxHeader('To', singleLine(input.to.name), input.to.address),
    unstructuredHeader('Subject', singleLine(input.subject)),
    `Date: ${rfc5322Date(now)}`,
    `Message-ID: <tidings.link.${randomBytes(10).toString('hex')}@${input.sendingDomain}>`,
    foldHeader('Auto-Submitted', ['auto-generated']),
    `Content-Language: ${input.lang.replace(/[^A-Za-z0-9-]/g, '')}`,
    'MIME-Version: 1.0',
    `Content-Type: multipart/alternative;\r\n boundary="${boundary}"`,
  ].join('\r\n');
  const more = input.more ?? [];
  const text = `${input.intro}\n\n${input.url}\n\n${more.map((l) => `${l.label}: ${l.url}\n`).join('')}${more.length ? '\n' : ''}${input.outro}\n`;
  const html = `<!doctype html><html lang="${escapeHtml(input.lang)}"><body style="font-family:sans-serif;line-height:1.5">
<p>${escapeHtml(input.intro)}</p>
<p><a href="${escapeHtml(input.url)}" style="display:inline-block;padding:10px 18px;background:#2f5bea;color:#fff;border-radius:6px;text-decoration:none">${escapeHtml(input.button)}</a></p>
${more.length ? `<ul>${more.map((l) => `<li><a href="${escapeHtml(l.url)}">${escapeHtml(l.label)}</a></li>`).join('')}</ul>
` : ''}<p>${escapeHtml(input.outro)}</p>
</body></html>`;
  const body = Buffer.from(
    `--${boundary}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n${base64Lines(text)}` +
      `--${boundary}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n${base64Lines(html)}` +
      `--${boundary}--\r\n`,
    'latin1',
  );
  const signature = input.dkim ? input.dkim.sign(head, [body]) + '\r\n' : '';
  return Buffer.concat([Buffer.from(`${signature}${head}\r\n\r\n`, 'latin1'), body]);
}
