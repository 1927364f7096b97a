import { defaultRowStatus } from '../statuses';
import { cell, otherColumns, parseFlag, parseTime, type SourceShape } from './shape';

/**
 * Substack's subscriber export: `email,active_subscription,expiry,plan,email_disabled,created_at,…` (some
 * exports add `name`). `email_disabled` true means the reader turned emails off: unsubscribed. Everyone else
 * is on the list; Substack confirms every address, so they are confirmed. Plan and paid status are attributes.
 */
export const substack: SourceShape = {
  source: 'substack',
  label: 'Substack subscribers export',
  emailColumns: ['email'],
  recognises: (h) => h.has('email') && h.hasAny('active_subscription', 'email_disabled'),
  mapper(header) {
    const [email, name, disabled, created, plan, active, expiry] = ['email', 'name', 'email_disabled', 'created_at', 'plan', 'active_subscription', 'expiry'].map((c) =>
      header.index(c),
    );
    const used = new Set([email, name, disabled, created, plan, active, expiry]);
    return (fields) => {
      const createdAt = parseTime(cell(fields, created));
      const attributes = otherColumns(header, fields, used);
      if (cell(fields, plan)) attributes.plan = cell(fields, plan);
      const paid = parseFlag(cell(fields, active));
      if (paid !== undefined) attributes.paid = paid;
      if (cell(fields, expiry)) attributes.paid_until = cell(fields, expiry);
      const left = parseFlag(cell(fields, disabled)) === true;
      return {
        row: {
          email: cell(fields, email),
          name: cell(fields, name),
          attributes,
          status: left ? { status: 'unsubscribed', subscription: 'unsubscribed', sourceStatus: 'email_disabled' } : defaultRowStatus('confirmed'),
          subscribedAt: createdAt,
          confirmedAt: createdAt,
        },
      };
    };
  },
};
