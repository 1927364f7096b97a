import { statusFromWord } from '../statuses';
import { cell, otherColumns, parseTags, parseTime, type SourceShape } from './shape';

/**
 * Buttondown's subscriber export: `email` (or `email_address`), `creation_date`, `subscriber_type` (or `type`),
 * `notes`, `tags`, `metadata` (a JSON object), `referrer_url`, `source`, … and, for unsubscribers,
 * `unsubscription_date`. The types are Buttondown's: regular, premium, trialed, gifted, churning, paused,
 * past_due, unpaid (on the list), unactivated (not confirmed), unsubscribed, spammy, removed.
 */
export const buttondown: SourceShape = {
  source: 'buttondown',
  label: 'Buttondown subscribers export',
  emailColumns: ['email', 'email_address'],
  recognises: (h) => h.hasAny('email', 'email_address') && h.hasAny('subscriber_type', 'creation_date', 'secondary_id'),
  mapper(header, context) {
    const [email, type, created, tags, metadata, notes, unsubscribed] = [
      header.index('email', 'email_address'),
      header.index('subscriber_type', 'type'),
      header.index('creation_date', 'created_date'),
      header.index('tags'),
      header.index('metadata'),
      header.index('notes'),
      header.index('unsubscription_date'),
    ];
    const used = new Set([email, type, created, tags, metadata, notes, unsubscribed, header.index('id'), header.index('secondary_id')]);
    return (fields) => {
      const word = cell(fields, type) || 'regular';
      const status = statusFromWord(word, context.defaultStatus);
      if (!status) return { error: `unknown Buttondown subscriber type '${word}'` };
      const attributes = otherColumns(header, fields, used);
      const meta = cell(fields, metadata);
      if (meta && meta !== '{}') {
        try {
          const parsed = JSON.parse(meta) as unknown;
          if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) Object.assign(attributes, parsed);
          else attributes.metadata = meta;
        } catch {
          return { error: `column 'metadata' is not valid JSON: '${meta.slice(0, 50)}'` };
        }
      }
      const tagList = parseTags(cell(fields, tags));
      if (tagList.length) attributes.tags = tagList;
      if (cell(fields, notes)) attributes.notes = cell(fields, notes);
      const createdAt = parseTime(cell(fields, created));
      return {
        row: {
          email: cell(fields, email),
          name: '',
          attributes,
          status,
          subscribedAt: createdAt,
          confirmedAt: createdAt,
          unsubscribedAt: parseTime(cell(fields, unsubscribed)),
        },
      };
    };
  },
};
