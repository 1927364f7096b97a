import { randomBytes } from 'node:crypto';
import { escapeHtml, singleLine } from '../render/slots';
import type { DkimSigner } from './dkim';
import { foldHeader, mailboxHeader, rfc5322Date, unstructuredHeader } from './headers';

export interface ConfirmationEmailInput {
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
  confirmUrl: string;
  dkim?: DkimSigner;
}

const base64Lines = (text: string) => (Buffer.from(text, 'utf8').toString('base64').match(/.{1,76}/g) ?? []).join('\r\n') + '\r\n';

/**
 * The double opt-in email: short, multipart/alternative (text first), UTF-8, every header encoded and
 * folded by the same helpers as newsletters, and DKIM-signed when configured. The subscriber's name goes
 * through singleLine (no header injection) and escapeHtml.
 */
export function buildConfirmationEmail(input: ConfirmationEmailInput, now = new Date()): Buffer {
  const boundary = `----=_tidings_confirm_${randomBytes(12).toString('hex')}`;
  const head = [
    mailboxHeader('From', input.from.name, input.from.address),
    mailboxHeader('To', singleLine(input.to.name), input.to.address),
    unstructuredHeader('Subject', singleLine(input.subject)),
    `Date: ${rfc5322Date(now)}`,
    `Message-ID: <tidings.confirm.${randomBytes(10).toString('hex')}@${input.sendingDomain}>`,
    foldHeader('Auto-Submitted', ['auto-generated']),
    `Content-Language: ${input.lang.replace(/[^A-Za-z0-9-]/g, '')}`,
    'MIME-Version: 1.0',
    `Content-Type: multipart/alternative;\r\n boundary="${boundary}"`,
  ].join('\r\n');
  const text = `${input.intro}\n\n${input.confirmUrl}\n\n${input.outro}\n`;
  const html = `<!doctype html><html lang="${escapeHtml(input.lang)}"><body style="font-family:sans-serif;line-height:1.5">
<p>${escapeHtml(input.intro)}</p>
<p><a href="${escapeHtml(input.confirmUrl)}" style="display:inline-block;padding:10px 18px;background:#2f5bea;color:#fff;border-radius:6px;text-decoration:none">${escapeHtml(input.button)}</a></p>
<p>${escapeHtml(input.outro)}</p>
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
