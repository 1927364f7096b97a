import { statusFromWord, type RowStatus } from '../statuses';
import { cell, fullName, Header, otherColumns, parseTags, parseTime, type SourceShape } from './shape';

/**
 * Mailchimp's audience export: a zip of `subscribed_…`, `unsubscribed_…`, `cleaned_…` (and `nonsubscribed_…`)
 * CSV files, each with `Email Address`, `First Name`, `Last Name`, the audience's merge fields (`Address`,
 * `Phone Number`, `Birthday`, any custom ones) and Mailchimp's own upper-case columns (`MEMBER_RATING`,
 * `OPTIN_TIME`, `CONFIRM_TIME`, `TAGS`, …; `UNSUB_TIME` and `UNSUB_REASON` in the unsubscribed file, `CLEAN_TIME`
 * in the cleaned one). The status comes from the file's name, else from those columns.
 */
const SYSTEM_COLUMNS = [
  'MEMBER_RATING', 'OPTIN_TIME', 'OPTIN_IP', 'CONFIRM_TIME', 'CONFIRM_IP', 'LATITUDE', 'LONGITUDE', 'GMTOFF', 'DSTOFF',
  'TIMEZONE', 'CC', 'REGION', 'LAST_CHANGED', 'LEID', 'EUID', 'NOTES', 'TAGS', 'UNSUB_TIME', 'UNSUB_CAMPAIGN_TITLE',
  'UNSUB_CAMPAIGN_ID', 'UNSUB_REASON', 'UNSUB_REASON_OTHER', 'CLEAN_TIME', 'CLEAN_CAMPAIGN_TITLE', 'CLEAN_CAMPAIGN_ID',
  'Email Marketing', 'Status',
];

function statusFromFileName(fileName: string | undefined): string | undefined {
  const base = (fileName ?? '').split(/[\\/]/).pop()!.toLowerCase();
  return /^(subscribed|unsubscribed|cleaned|nonsubscribed)_/.exec(base)?.[1];
}

export const mailchimp: SourceShape = {
  source: 'mailchimp',
  label: 'Mailchimp audience export',
  emailColumns: ['Email Address', 'Email'],
  recognises: (h) => h.hasExact('Email Address') && ['MEMBER_RATING', 'OPTIN_TIME', 'LEID', 'EUID', 'TAGS', 'First Name'].some((c) => h.hasExact(c)),
  mapper(header, context) {
    const email = header.index('Email Address', 'Email');
    const first = header.index('First Name', 'FNAME');
    const last = header.index('Last Name', 'LNAME');
    const optin = header.index('OPTIN_TIME');
    const confirm = header.index('CONFIRM_TIME');
    const unsubTime = header.index('UNSUB_TIME');
    const unsubReason = header.index('UNSUB_REASON');
    const cleanTime = header.index('CLEAN_TIME');
    const tags = header.index('TAGS');
    const timezone = header.index('TIMEZONE');
    const country = header.index('CC');
    const notes = header.index('NOTES');
    const statusColumn = header.index('Email Marketing', 'Status');
    const used = new Set([email, first, last, ...SYSTEM_COLUMNS.map((c) => header.index(c))]);
    const fromFile = statusFromFileName(context.fileName) ?? (cleanTime >= 0 ? 'cleaned' : unsubTime >= 0 ? 'unsubscribed' : undefined);
    return (fields) => {
      const word = fromFile ?? (cell(fields, statusColumn) || 'subscribed');
      // "subscribed" in Mailchimp means opted in (and confirmed, with double opt-in): confirmed here.
      const status: RowStatus | undefined = word === 'subscribed' ? { status: 'confirmed', subscription: 'confirmed', sourceStatus: word } : statusFromWord(word, context.defaultStatus);
      if (!status) return { error: `unknown Mailchimp status '${word}'` };
      const attributes = mailchimpAttributes(header, fields, used);
      const tagList = parseTags(cell(fields, tags));
      if (tagList.length) attributes.tags = tagList;
      if (cell(fields, timezone)) attributes.timezone = cell(fields, timezone);
      if (cell(fields, country)) attributes.country = cell(fields, country);
      if (cell(fields, notes)) attributes.notes = cell(fields, notes);
      if (cell(fields, unsubReason)) attributes.unsubscribe_reason = cell(fields, unsubReason);
      const optedIn = parseTime(cell(fields, optin));
      return {
        row: {
          email: cell(fields, email),
          name: fullName(cell(fields, first), cell(fields, last)),
          attributes,
          status,
          subscribedAt: optedIn,
          confirmedAt: parseTime(cell(fields, confirm)) ?? optedIn,
          unsubscribedAt: parseTime(cell(fields, unsubTime)) ?? parseTime(cell(fields, cleanTime)),
        },
      };
    };
  },
};

/** Merge fields under snake_case names (`Phone Number` → `phone_number`), as templates can use them. */
function mailchimpAttributes(header: Header, fields: string[], used: ReadonlySet<number>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(otherColumns(header, fields, used))) out[attributeName(name)] = value;
  return out;
}

/** A column name as an attribute name: lower case, words joined by underscores; letters of any script kept. */
export function attributeName(column: string): string {
  return column.trim().toLowerCase().replace(/[^\p{L}\p{N}]+/gu, '_').replace(/^_+|_+$/g, '') || column.trim();
}
