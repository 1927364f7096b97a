import { statusFromWord } from '../statuses';
import { cell, fullName, otherColumns, parseTags, parseTime, type SourceShape } from './shape';

/**
 * beehiiv's subscriber export: `email,status,created_at,subscription_tier,utm_source,utm_medium,utm_channel,
 * utm_campaign,referring_site,referral_code,…` plus custom fields (often `first_name`, `last_name`). Statuses:
 * active, inactive (unsubscribed), pending and validating (not confirmed), invalid (suppressed),
 * needs_attention (not mailable until checked).
 */
export const beehiiv: SourceShape = {
  source: 'beehiiv',
  label: 'beehiiv subscribers export',
  emailColumns: ['email'],
  recognises: (h) => h.has('email') && h.hasAny('subscription_tier', 'utm_channel', 'referring_site', 'subscription_premium_tier_names'),
  mapper(header) {
    const [email, status, created, first, last, name, tags, unsub] = [
      header.index('email'),
      header.index('status'),
      header.index('created_at'),
      header.index('first_name'),
      header.index('last_name'),
      header.index('name'),
      header.index('tags'),
      header.index('unsubscribed_at'),
    ];
    const used = new Set([email, status, created, first, last, name, tags, unsub]);
    return (fields) => {
      const word = cell(fields, status) || 'active';
      const rowStatus = statusFromWord(word, 'confirmed');
      if (!rowStatus) return { error: `unknown beehiiv status '${word}'` };
      const attributes = otherColumns(header, fields, used);
      const tagList = parseTags(cell(fields, tags));
      if (tagList.length) attributes.tags = tagList;
      const createdAt = parseTime(cell(fields, created));
      return {
        row: {
          email: cell(fields, email),
          name: cell(fields, name) || fullName(cell(fields, first), cell(fields, last)),
          attributes,
          status: rowStatus,
          subscribedAt: createdAt,
          confirmedAt: createdAt,
          unsubscribedAt: parseTime(cell(fields, unsub)),
        },
      };
    };
  },
};
