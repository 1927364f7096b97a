import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CsvReader } from '../src/imports/csv-reader';
import { planImport, type ImportSource, type MappedRow } from '../src/imports/sources';
import { parseTags, parseTime } from '../src/imports/sources/shape';
import { statusFromWord } from '../src/imports/statuses';

/**
 * The mapping of each service's export, pure: header recognition, names, attributes, times and the status
 * rules. The fixtures are written from each service's documented export columns (test/fixtures/imports).
 */
const FIXTURES = path.resolve(__dirname, 'fixtures/imports');

function mapFile(file: string, options: { from?: ImportSource } = {}): { source: ImportSource; rows: MappedRow[]; errors: string[] } {
  const reader = new CsvReader();
  const records = [...reader.push(readFileSync(path.join(FIXTURES, file), 'utf8')), ...reader.end()];
  const plan = planImport(records[0].fields!, { defaultStatus: 'confirmed', fileName: file, from: options.from });
  const rows: MappedRow[] = [];
  const errors: string[] = [];
  for (const record of records.slice(1)) {
    const mapped = plan.map(record.fields!);
    if (mapped.error) errors.push(mapped.error);
    else rows.push(mapped.row!);
  }
  return { source: plan.source, rows, errors };
}

describe('each service export, recognised from its header and mapped by its columns', () => {
  it('Mailchimp: subscribed file — name from first and last, merge fields and TAGS as attributes, opt-in time as confirmation', () => {
    const { source, rows, errors } = mapFile('subscribed_members_export_4f1c2a9b.csv');
    expect(source).toBe('mailchimp');
    expect(errors).toEqual([]);
    expect(rows[0]).toEqual({
      email: 'ada@example.com',
      name: 'Ada Lovelace',
      attributes: {
        address: "12 St James's Square  London  SW1Y 4JH GB",
        phone_number: '+44 20 7946 0000',
        birthday: '12/10',
        company: 'Analytical Engines Ltd',
        tags: ['VIP', 'Early reader'],
        timezone: 'Europe/London',
        country: 'GB',
      },
      status: { status: 'confirmed', subscription: 'confirmed', sourceStatus: 'subscribed' },
      subscribedAt: '2021-03-14T10:21:34.000Z',
      confirmedAt: '2021-03-14T10:25:02.000Z',
      unsubscribedAt: undefined,
    });
    // Single opt-in: no CONFIRM_TIME, the opt-in time is the confirmation time.
    expect(rows[1]).toMatchObject({ name: 'Grace Hopper', confirmedAt: '2022-07-01T08:00:00.000Z', attributes: { notes: 'Met at the conference' } });
    expect(rows[2]).toMatchObject({ email: '王小明@例子.广告', name: '小明 王', attributes: { tags: ['中文读者'] } });
  });

  it('Mailchimp: unsubscribed and cleaned files keep their status and time', () => {
    const unsub = mapFile('unsubscribed_members_export_4f1c2a9b.csv');
    expect(unsub.rows.map((r) => [r.email, r.status.status, r.unsubscribedAt, r.attributes.unsubscribe_reason])).toEqual([
      ['linus@example.net', 'unsubscribed', '2023-02-01T12:00:00.000Z', 'I no longer want to receive these emails'],
      ['marie@example.fr', 'unsubscribed', '2024-06-30T18:45:10.000Z', 'Other'],
    ]);
    const cleaned = mapFile('cleaned_members_export_4f1c2a9b.csv');
    expect(cleaned.rows[0].status).toEqual({ status: 'suppressed', subscription: 'confirmed', suppression: 'hard_bounce', sourceStatus: 'cleaned' });
  });

  it('Mailchimp: without the file name, the UNSUB_TIME / CLEAN_TIME columns tell the status', () => {
    const reader = new CsvReader();
    const text = readFileSync(path.join(FIXTURES, 'cleaned_members_export_4f1c2a9b.csv'), 'utf8');
    const [header, row] = [...reader.push(text), ...reader.end()];
    const plan = planImport(header.fields!, { defaultStatus: 'confirmed', fileName: 'audience.csv' });
    expect(plan.map(row.fields!).row?.status.status).toBe('suppressed');
  });

  it('listmonk: JSON attributes; enabled, blocklisted → suppressed, disabled → not mailable', () => {
    const { source, rows } = mapFile('listmonk-subscribers.csv');
    expect(source).toBe('listmonk');
    expect(rows.map((r) => [r.email, r.name, r.attributes, r.status.status, r.status.suppression])).toEqual([
      ['john@example.com', 'John Doe', { city: 'Bengaluru', projects: 3 }, 'confirmed', undefined],
      ['anon@example.com', 'Anon', {}, 'suppressed', 'manual'],
      ['quiet@example.com', 'Quiet One', { plan: 'free' }, 'disabled', undefined],
    ]);
    expect(rows[0].subscribedAt).toBe('2023-01-15T04:42:45.123Z');
  });

  it('Substack: email_disabled is an unsubscribe; plan and paid status are attributes', () => {
    const { source, rows } = mapFile('substack-email-list.csv');
    expect(source).toBe('substack');
    expect(rows.map((r) => [r.email, r.status.status, r.attributes])).toEqual([
      ['reader@example.com', 'confirmed', { plan: 'yearly', paid: true, paid_until: '2025-03-01T00:00:00.000Z', first_payment_at: '2023-03-01T12:00:00.000Z' }],
      ['free@example.com', 'confirmed', { plan: 'free', paid: false }],
      ['muted@example.com', 'unsubscribed', { plan: 'free', paid: false }],
    ]);
  });

  it('Ghost: labels as tags, subscribed_to_emails=false unsubscribes, a deleted member is only a suppression', () => {
    const { source, rows } = mapFile('ghost-members.csv');
    expect(source).toBe('ghost');
    expect(rows[0]).toMatchObject({ name: 'Jamie Larson', attributes: { tags: ['VIP', 'Meetup'], note: 'Signed up at the meetup', tiers: ['Free'] }, status: { status: 'confirmed' } });
    expect(rows[1].status.status).toBe('unsubscribed');
    expect(rows[2].status).toMatchObject({ status: 'suppressed', subscription: null, suppression: 'manual' });
  });

  it("Kit: each state, tags and custom fields", () => {
    const { source, rows } = mapFile('kit-subscribers.csv');
    expect(source).toBe('kit');
    expect(rows.map((r) => [r.email, r.status.status, r.status.suppression])).toEqual([
      ['alice@convertkit.dev', 'confirmed', undefined],
      ['benito@convertkit.dev', 'unconfirmed', undefined],
      ['cara@convertkit.dev', 'unsubscribed', undefined],
      ['dan@convertkit.dev', 'suppressed', 'hard_bounce'],
      ['eve@convertkit.dev', 'suppressed', 'complaint'],
    ]);
    expect(rows[0].attributes).toEqual({ tags: ['VIP', 'Newsletter'], company: 'Acme' });
  });

  it('Buttondown: subscriber types, metadata merged, tags from JSON, unsubscription date kept', () => {
    const { source, rows } = mapFile('buttondown-subscribers.csv');
    expect(source).toBe('buttondown');
    expect(rows.map((r) => [r.email, r.status.status])).toEqual([
      ['penny@example.com', 'confirmed'],
      ['new@example.com', 'unconfirmed'],
      ['left@example.com', 'unsubscribed'],
      ['bot@example.com', 'suppressed'],
    ]);
    expect(rows[0].attributes).toEqual({ twitter: '@penny', tags: ['supporter'], notes: 'Paid since launch', referrer_url: 'https://example.com/blog', source: 'import' });
    expect(rows[2].unsubscribedAt).toBe('2023-12-24T18:00:00.000Z');
  });

  it('beehiiv: active, inactive, validating, invalid', () => {
    const { source, rows } = mapFile('beehiiv-subscribers.csv');
    expect(source).toBe('beehiiv');
    expect(rows.map((r) => [r.email, r.name, r.status.status])).toEqual([
      ['active@example.com', 'Ana Silva', 'confirmed'],
      ['gone@example.org', '', 'unsubscribed'],
      ['waiting@example.org', '', 'unconfirmed'],
      ['broken@example.org', '', 'suppressed'],
    ]);
    expect(rows[0].subscribedAt).toBe('2024-03-03T12:00:00.000Z');
  });

  it('--from overrides recognition; a file that is not that shape says what is missing', () => {
    expect(mapFile('kit-subscribers.csv', { from: 'csv' }).source).toBe('csv');
    expect(() => mapFile('kit-subscribers.csv', { from: 'listmonk' })).toThrow(/this is not a listmonk subscribers export: the header has no email column/);
  });
});

describe('status rules', () => {
  it('never turn a word for leaving into a subscription', () => {
    for (const word of ['unsubscribed', 'Unsubscribed', 'cancelled', 'opted-out', 'complained', 'blocklisted', 'deletion requested']) {
      const status = statusFromWord(word, 'confirmed')!;
      expect(status.subscription === 'confirmed' || status.subscription === 'unconfirmed', word).toBe(false);
    }
    for (const word of ['cleaned', 'bounced', 'undeliverable']) expect(statusFromWord(word, 'confirmed')).toMatchObject({ status: 'suppressed', suppression: 'hard_bounce' });
    expect(statusFromWord('disabled', 'unconfirmed')).toMatchObject({ status: 'disabled', subscription: 'unconfirmed' });
    expect(statusFromWord('enabled', 'unconfirmed')).toMatchObject({ status: 'unconfirmed' });
    expect(statusFromWord('maybe', 'confirmed')).toBeUndefined();
  });

  it('read the times and tag lists exporters write', () => {
    expect(parseTime('2021-03-14 10:21:34')).toBe('2021-03-14T10:21:34.000Z');
    expect(parseTime('2024-03-03 12:00:00 UTC')).toBe('2024-03-03T12:00:00.000Z');
    expect(parseTime('2023-01-15T10:12:45+0530')).toBe('2023-01-15T04:42:45.000Z');
    expect(parseTime('1700000000')).toBe('2023-11-14T22:13:20.000Z');
    expect(parseTime('last Tuesday')).toBeUndefined();
    expect(parseTags('"VIP","Customer"')).toEqual(['VIP', 'Customer']);
    expect(parseTags('a, b ,c')).toEqual(['a', 'b', 'c']);
    expect(parseTags('[{"name":"x"},"y"]')).toEqual(['x', 'y']);
  });
});
