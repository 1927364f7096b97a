import type { ParsedMail } from 'mailparser';
import { classifyBounce, enhancedStatus } from './classify';
import { addressField, parseFieldGroups } from './mime-parts';
import type { BounceReport } from './report';

/**
 * RFC 3464 delivery status notifications: one report per recipient group. Only `Action: failed` is a bounce;
 * `delayed` means the server is still trying, `delivered`, `relayed` and `expanded` that it went through —
 * those come back as kind `ignore`, so an operator can see why nothing happened.
 */
export function parseDsn(mail: ParsedMail, text: string, messageId: string | undefined, original: string | undefined): BounceReport[] {
  const [head, ...recipients] = parseFieldGroups(text);
  return recipients.flatMap((fields, index): BounceReport[] => {
    const email = addressField(fields.get('final-recipient')) ?? addressField(fields.get('original-recipient'));
    if (!email) return [];
    const action = (fields.get('action') ?? '').toLowerCase().trim();
    const status = enhancedStatus(fields.get('status'));
    const diagnostic = fields.get('diagnostic-code')?.replace(/^(?:smtp|x-[a-z-]+);\s*/i, '');
    const kind = action === 'failed' ? classifyBounce({ status, diagnostic }) : 'ignore';
    return [
      {
        source: 'dsn',
        eventId: messageId ? `${messageId}#${index}` : undefined,
        kind,
        email,
        messageId: original,
        status,
        diagnostic,
        occurredAt: mail.date,
        details: { action, reportingMta: head?.get('reporting-mta') },
      },
    ];
  });
}
