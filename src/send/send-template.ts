import type { Config } from '../config';
import type { DkimSigner } from '../mail/dkim';
import { MessageTemplate } from '../mail/message-template';
import { fillSendSlots } from '../render/slots';
import { listSender } from './sender';
import type { Links } from '../security/links';

export interface SendTemplateInput {
  config: Config;
  links: Links;
  dkim: DkimSigner | undefined;
  /** 0 for a message outside a send (test sends, previews). */
  sendId: number;
  issue: { id: number; slug: string; subject: string; text: string };
  list: { id: number; name: string; slug: string; fromName?: string | null; fromAddress?: string | null };
  /** The issue's HTML as this send carries it (links rewritten for tracking, or the pixel removed). */
  html: string;
}

/**
 * The prebuilt message of a send: the send-level values filled in (the list name escaped for the HTML part)
 * and every fixed header encoded once. The workers and the single messages (test sends, previews) both build
 * it here, so what a test shows is what subscribers get.
 */
export function buildSendTemplate(input: SendTemplateInput): { template: MessageTemplate; html: string; text: string } {
  const { config, links, issue, list } = input;
  const { html, text } = fillSendSlots({ html: input.html, text: issue.text }, { listName: list.name, webVersionUrl: links.webVersion(issue.slug) });
  const sender = listSender(config, list);
  const template = new MessageTemplate({
    sendId: input.sendId,
    listId: list.id,
    issueId: issue.id,
    from: sender,
    subject: issue.subject,
    list: { name: list.name, slug: list.slug },
    sendingDomain: sender.domain,
    html,
    text,
    unsubscribeMailto: config.listUnsubscribeMailto,
    dkim: input.dkim,
    encoding: config.messageEncoding,
  });
  return { template, html, text };
}
