import { statusFromWord, type RowStatus } from '../statuses';
import { cell, fullName, otherColumns, parseTags, parseTime, type SourceShape } from './shape';

/**
 * Kit's (ConvertKit's) subscriber export: `first_name,email_address,state,created_at`, then `tags` and one column
 * per custom field. Kit's states: active (confirmed), inactive (never confirmed the double opt-in), cancelled
 * (unsubscribed), bounced and complained (suppressed), cold (still subscribed).
 */
const KIT_STATES: Record<string, RowStatus> = {
  inactive: { status: 'unconfirmed', subscription: 'unconfirmed', sourceStatus: 'inactive' },
};

export const kit: SourceShape = {
  source: 'kit',
  label: 'Kit (ConvertKit) subscribers export',
  emailColumns: ['email_address', 'email'],
  recognises: (h) => h.has('email_address') && h.hasAny('first_name', 'state'),
  mapper(header) {
    const [email, first, last, state, created, tags] = [
      header.index('email_address', 'email'),
      header.index('first_name'),
      header.index('last_name'),
      header.index('state', 'status'),
      header.index('created_at'),
      header.index('tags', 'tag_names'),
    ];
    const used = new Set([email, first, last, state, created, tags]);
    return (fields) => {
      const word = (cell(fields, state) || 'active').toLowerCase();
      const status = KIT_STATES[word] ?? statusFromWord(word, 'confirmed');
      if (!status) return { error: `unknown Kit state '${word}' (expected active, inactive, cancelled, bounced, complained or cold)` };
      const attributes = otherColumns(header, fields, used);
      const tagList = parseTags(cell(fields, tags));
      if (tagList.length) attributes.tags = tagList;
      const createdAt = parseTime(cell(fields, created));
      return { row: { email: cell(fields, email), name: fullName(cell(fields, first), cell(fields, last)), attributes, status, subscribedAt: createdAt, confirmedAt: createdAt } };
    };
  },
};
