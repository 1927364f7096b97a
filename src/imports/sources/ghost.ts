import { defaultRowStatus, statusFromWord } from '../statuses';
import { cell, parseFlag, parseTags, parseTime, type SourceShape } from './shape';

/**
 * Ghost's members export: `id,email,name,note,subscribed_to_emails,complimentary_plan,stripe_customer_id,
 * created_at,deleted_at,labels,tiers`. `subscribed_to_emails` false is an unsubscribe; a `deleted_at` time is a
 * deleted member, kept only as a suppression. Labels become tags; note and tiers are attributes.
 */
export const ghost: SourceShape = {
  source: 'ghost',
  label: 'Ghost members export',
  emailColumns: ['email'],
  recognises: (h) => h.has('email') && h.hasAny('subscribed_to_emails', 'complimentary_plan', 'stripe_customer_id'),
  mapper(header) {
    const [email, name, note, subscribedTo, comp, created, deleted, labels, tiers] = [
      'email', 'name', 'note', 'subscribed_to_emails', 'complimentary_plan', 'created_at', 'deleted_at', 'labels', 'tiers',
    ].map((c) => header.index(c));
    return (fields) => {
      const createdAt = parseTime(cell(fields, created));
      const attributes: Record<string, unknown> = {};
      const tags = parseTags(cell(fields, labels));
      if (tags.length) attributes.tags = tags;
      if (cell(fields, note)) attributes.note = cell(fields, note);
      const tierList = parseTags(cell(fields, tiers));
      if (tierList.length) attributes.tiers = tierList;
      if (parseFlag(cell(fields, comp)) === true) attributes.complimentary = true;
      const status = cell(fields, deleted)
        ? statusFromWord('deleted', 'confirmed')!
        : parseFlag(cell(fields, subscribedTo)) === false
          ? { status: 'unsubscribed' as const, subscription: 'unsubscribed' as const, sourceStatus: 'subscribed_to_emails=false' }
          : defaultRowStatus('confirmed');
      return { row: { email: cell(fields, email), name: cell(fields, name), attributes, status, subscribedAt: createdAt, confirmedAt: createdAt } };
    };
  },
};
