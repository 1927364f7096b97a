import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseReportMessage, type ParsedReportMessage } from '../src/bounces/report-message';

/**
 * Bounces, complaints and look-alikes of the major mail servers and providers, written from their documented
 * and commonly seen formats (test/fixtures/bounce-families/, expected.json says what each one is). Each is read
 * as stored (LF) and with CRLF line ends; the figures are printed.
 */
interface Expected {
  file: string;
  family: string;
  type: ParsedReportMessage['type'];
  email: string | null;
  kind: 'hard' | 'soft' | 'policy' | 'complaint' | 'unsubscribe' | 'ignore' | null;
}

const DIR = new URL('./fixtures/bounce-families/', import.meta.url);
const EXPECTED: Expected[] = JSON.parse(readFileSync(new URL('expected.json', DIR), 'utf8'));
const OWN = ['news@lifewithdata.test', 'fbl@lifewithdata.test'];
const read = (file: string, crlf: boolean) => {
  const lf = readFileSync(new URL(file, DIR), 'utf8').replace(/\r\n/g, '\n');
  return crlf ? lf.replace(/\n/g, '\r\n') : lf;
};
const BOUNCE_KINDS = new Set(['hard', 'soft', 'policy']);
const COUNTED = new Set(['hard', 'soft', 'policy', 'complaint', 'unsubscribe']);

describe.each([['LF', false], ['CRLF', true]] as const)('bounce families (%s)', (_, crlf) => {
  it.each(EXPECTED.map((e) => [e.file, e] as const))('%s', async (file, expected) => {
    const parsed = await parseReportMessage(read(file, crlf), { ownAddresses: OWN });
    expect(parsed.type).toBe(expected.type);
    if (expected.email === null) {
      expect(parsed.reports.filter((r) => COUNTED.has(r.kind))).toEqual([]);
      return;
    }
    expect(parsed.reports.map((r) => [r.email.toLowerCase(), r.kind])).toEqual([[expected.email, expected.kind]]);
    if (/^(?:postfix|exim|sendmail|qmail|courier|exchange|gmail|yahoo|outlook|ses-dsn|workmail|zoho|mailru|gmx|generic-mdaemon|arf|jmrp|fbl)/.test(file) && !/blocklist|blocked-ip|dmarc|yahoo-blocked|generic/.test(file)) {
      // The returned original's Message-ID, when the bounce quotes it, ties the report to its delivery.
      const raw = read(file, crlf);
      if (raw.includes('<tidings.')) expect(parsed.reports[0].messageId).toMatch(/^<tidings\.7\.\d+@lifewithdata\.test>$/);
    }
  });

  it('meets the recognition and agreement targets, and prints them', async () => {
    let bounces = 0;
    let recognised = 0;
    let agreed = 0;
    let policySuppressing = 0;
    let nonBouncesTaken = 0;
    let complaints = 0;
    let complaintsRight = 0;
    const families = new Set<string>();
    for (const expected of EXPECTED) {
      const parsed = await parseReportMessage(read(expected.file, crlf), { ownAddresses: OWN });
      const report = parsed.reports.find((r) => r.email.toLowerCase() === expected.email);
      if (expected.kind && BOUNCE_KINDS.has(expected.kind) && expected.family !== 'complaint') {
        families.add(expected.family);
        bounces++;
        if (report && report.kind !== 'ignore') recognised++;
        if (report?.kind === expected.kind) agreed++;
        if (expected.kind === 'policy' && report && (report.kind === 'hard' || report.kind === 'soft')) policySuppressing++;
      } else if (expected.family === 'complaint') {
        complaints++;
        if (report?.kind === expected.kind) complaintsRight++;
      } else if (parsed.reports.some((r) => COUNTED.has(r.kind))) {
        nonBouncesTaken++;
      }
    }
    const pct = (n: number, d: number) => Math.round((1000 * n) / d) / 10;
    console.log(
      `bounce families (${crlf ? 'CRLF' : 'LF'}): ${bounces} bounces from ${families.size} families: ` +
        `${pct(recognised, bounces)}% recognised with the right recipient, ${pct(agreed, bounces)}% agree on hard/soft/policy; ` +
        `${complaintsRight}/${complaints} complaint reports right; policy bounces that would suppress: ${policySuppressing}; ` +
        `non-bounces taken for a bounce: ${nonBouncesTaken}`,
    );
    expect(families.size).toBeGreaterThanOrEqual(16);
    expect(recognised / bounces).toBeGreaterThanOrEqual(0.95);
    expect(agreed / bounces).toBeGreaterThanOrEqual(0.9);
    expect(policySuppressing).toBe(0);
    expect(nonBouncesTaken).toBe(0);
  });
});

describe('every family has at least two samples', () => {
  it('counts them', () => {
    const counts = new Map<string, number>();
    for (const e of EXPECTED) counts.set(e.family, (counts.get(e.family) ?? 0) + 1);
    for (const [family, n] of counts) expect(n, family).toBeGreaterThanOrEqual(2);
  });
});

describe('unrecognised messages', () => {
  it('come back with their first lines, for an operator to look at', async () => {
    const parsed = await parseReportMessage(read('reader-reply.eml', false));
    expect(parsed.type).toBe('unknown');
    expect(parsed.firstLines).toEqual(expect.arrayContaining([expect.stringContaining('Subject: Re: ML UTD 32'), expect.stringContaining('Thanks for this issue!')]));
  });
});
