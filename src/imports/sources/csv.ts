import { TidingsError } from '../../errors';
import { convertCell, parseColumn, type Column } from '../columns';
import { defaultRowStatus, KNOWN_STATUS_WORDS, statusFromWord } from '../statuses';
import { cell, fullName, Header, parseTime, type SourceShape } from './shape';

/**
 * A plain CSV, and what `tidings export` writes: `email` (required), `name` (or `first_name` and `last_name`),
 * optionally `status` (any status word of the services above, e.g. confirmed, unsubscribed, bounced) with
 * `subscribed_at`, `confirmed_at` and `unsubscribed_at`; every other column is an attribute, optionally typed
 * (`age:number`, `vip:boolean`, `joined:date`, `tags:json`; an `attributes:json` column is merged).
 */
// Also the headers Chinese and Japanese spreadsheets are typed with.
const EMAIL_COLUMNS = ['email', 'e-mail', 'email address', 'email_address', '邮箱', '电子邮件', '电子邮箱', 'メールアドレス'];
const NAME_COLUMNS = ['name', '姓名', '名字', '名前', '氏名'];

export const csv: SourceShape = {
  source: 'csv',
  label: 'CSV',
  emailColumns: EMAIL_COLUMNS,
  recognises: () => true,
  mapper(header, context) {
    const columns: Column[] = header.names.map((name) => parseColumn(name, 1));
    const byName = new Header(columns.map((c) => c.name));
    const email = byName.index(...EMAIL_COLUMNS);
    if (email < 0) {
      throw new TidingsError('CSV_INVALID', `line 1: the header has no 'email' column (found: ${columns.map((c) => c.name).join(', ') || 'nothing'})`, { line: 1 });
    }
    const name = byName.index(...NAME_COLUMNS);
    const first = byName.index('first_name', 'first name');
    const last = byName.index('last_name', 'last name');
    const status = byName.index('status');
    const subscribed = byName.index('subscribed_at', 'created_at');
    const confirmed = byName.index('confirmed_at');
    const unsubscribed = byName.index('unsubscribed_at');
    const used = new Set([email, name, first, last, status, subscribed, confirmed, unsubscribed]);
    return (fields) => {
      const word = cell(fields, status);
      const rowStatus = word ? statusFromWord(word, context.defaultStatus) : defaultRowStatus(context.defaultStatus);
      if (!rowStatus) return { error: `unknown status '${word.slice(0, 50)}' (known: ${KNOWN_STATUS_WORDS.slice(0, 12).join(', ')}, …)` };
      const attributes: Record<string, unknown> = {};
      for (let i = 0; i < columns.length; i++) {
        if (used.has(i) || !columns[i].name) continue;
        const value = columns[i].type === 'text' ? { value: fields[i] } : convertCell(columns[i], fields[i]);
        if (value.error) return { error: value.error };
        // An `attributes:json` column (what `tidings export` writes) is merged, not nested.
        if (columns[i].name === 'attributes' && value.value && typeof value.value === 'object' && !Array.isArray(value.value)) Object.assign(attributes, value.value);
        else if (value.value !== undefined) attributes[columns[i].name] = value.value;
      }
      const subscribedAt = parseTime(cell(fields, subscribed));
      return {
        row: {
          email: cell(fields, email),
          name: name >= 0 ? cell(fields, name) : fullName(cell(fields, first), cell(fields, last)),
          attributes,
          status: rowStatus,
          subscribedAt,
          confirmedAt: parseTime(cell(fields, confirmed)) ?? subscribedAt,
          unsubscribedAt: parseTime(cell(fields, unsubscribed)),
        },
      };
    };
  },
};
