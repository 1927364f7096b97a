import type { Services } from '../app/services';
import { getIssue, issueInLanguage, type Issue } from '../db/issues';
import { getListBySlug } from '../db/lists';
import { findSubscriberByEmail } from '../db/subscribers';
import { TidingsError } from '../errors';
import { checkEmailAddress } from '../mail/email-address';
import type { Mailer } from '../mail/mailer';
import { ensureSendable } from '../issues/preflight-gate';
import type { Finding } from '../render/preflight';
import { listSender } from './sender';
import { buildSingleMessage, standInList } from './single-message';

export interface TestSendResult {
  issue: Issue;
  to: string;
  messageId: string;
  /** The SMTP server's reply. */
  response: string;
  /** Preflight's warnings (its errors stop the message). */
  warnings: Finding[];
}

/**
 * `tidings send <issue> --test <email>`: one personalised message to that address only. Preflight runs first,
 * as before every send; no sends or deliveries row is created. The greeting uses the subscriber's name when
 * the address is a subscriber, so the test shows what they would get.
 */
export async function testSend(
  services: Pick<Services, 'pool' | 'config' | 'links' | 'dkim' | 'log'>,
  mailer: Mailer,
  issueRef: string,
  email: string,
  options: { list?: string; name?: string } = {},
): Promise<TestSendResult> {
  const address = checkEmailAddress(email);
  if (!address.ok) throw new TidingsError('INVALID_INPUT', `--test needs an email address: ${address.problem}`, { email });
  const to = address.address;
  const stored = await getIssue(services.pool, issueRef);
  const { warnings } = await ensureSendable(services, stored);
  const named = options.list ? await getListBySlug(services.pool, options.list) : undefined;
  const list = named ?? standInList(stored.subject, 'test');
  // Shaped for a list: in its language; without one, in the issue's own.
  const issue = named ? await issueInLanguage(services.pool, stored, named.language) : stored;
  const subscriber = await findSubscriberByEmail(services.pool, to);
  const message = buildSingleMessage({
    config: services.config,
    links: services.links,
    dkim: services.dkim,
    issue,
    list,
    recipient: { email: to, name: options.name ?? subscriber?.name },
    test: true,
  });
  const { response } = await mailer.send({ from: listSender(services.config, list).address, to }, message.raw);
  services.log.info({ event: 'send.test_sent', issueId: issue.id, messageId: message.messageId }, 'test message sent');
  return { issue, to, messageId: message.messageId, response, warnings };
}
