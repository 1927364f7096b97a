import type { Config } from '../config';

export interface Sender {
  name: string;
  address: string;
  /** The address's domain: Message-IDs, the List-Id and the Feedback-ID sender are built on it. */
  domain: string;
}

/**
 * Who a list's messages come from: the list's own From name and address, each falling back to MAIL_FROM's.
 * The name alone may be the list's (a newsletter with its own name on the shared address).
 */
export function listSender(config: Pick<Config, 'mailFrom'>, list: { fromName?: string | null; fromAddress?: string | null }): Sender {
  const address = list.fromAddress || config.mailFrom.address;
  const name = list.fromName ?? config.mailFrom.name;
  return { name, address, domain: address.slice(address.lastIndexOf('@') + 1).toLowerCase() };
}
