import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { applyBounceReports } from '../src/bounces/apply';
import { parseReportMessage } from '../src/bounces/report-message';
import { waitForSend } from '../src/cli/progress';
import { loadConfig } from '../src/config';
import { autoPauseReason, DEFAULT_AUTO_PAUSE } from '../src/send/auto-pause';
import { resumeSend, startSend } from '../src/send/control';
import { parse, seedSend, sendStatus, startStack, waitFor, type TestStack } from './helpers';

const ADMIN_TOKEN = 'auto-pause-admin-token-0123456789';

describe('auto-pause decision', () => {
  const policy = DEFAULT_AUTO_PAUSE;
  it('pauses above the hard-bounce or complaint rate, counting a young send as a full window', () => {
    expect(autoPauseReason({ deliveries: 1000, hardBounces: 50, complaints: 1 }, policy)).toBeUndefined();
    expect(autoPauseReason({ deliveries: 1000, hardBounces: 51, complaints: 0 }, policy)).toMatch(/51 hard bounces among the last 1000 deliveries \(5\.1%, above AUTO_PAUSE_HARD_BOUNCE_RATE=5%\)/);
    expect(autoPauseReason({ deliveries: 1000, hardBounces: 0, complaints: 2 }, policy)).toMatch(/2 complaints among the last 1000 deliveries \(0\.20%, above AUTO_PAUSE_COMPLAINT_RATE=0\.1%/);
    // One complaint in the first ten deliveries is 0.1 % of a full window, not 10 %: not yet a rate. Two are.
    expect(autoPauseReason({ deliveries: 10, hardBounces: 0, complaints: 1 }, policy)).toBeUndefined();
    expect(autoPauseReason({ deliveries: 10, hardBounces: 0, complaints: 2 }, policy)).toMatch(/2 complaints among the last 10 deliveries/);
    expect(autoPauseReason({ deliveries: 60, hardBounces: 50, complaints: 0 }, policy)).toBeUndefined();
    expect(autoPauseReason({ deliveries: 60, hardBounces: 51, complaints: 0 }, policy)).toMatch(/51 hard bounces among the last 60/);
    expect(autoPauseReason({ deliveries: 2000, hardBounces: 101, complaints: 0 }, { ...policy, window: 2000 })).toMatch(/101 hard bounces/);
    expect(autoPauseReason({ deliveries: 10, hardBounces: 9, complaints: 9 }, { ...policy, window: 0 })).toBeUndefined();
  });

  it('reads its variables and names the one that is wrong', () => {
    const config = loadConfig({ AUTO_PAUSE_WINDOW: '500', AUTO_PAUSE_HARD_BOUNCE_RATE: '2%', AUTO_PAUSE_COMPLAINT_RATE: '0.3' });
    expect(config.autoPause).toEqual({ window: 500, hardBounceRate: 2, complaintRate: 0.3 });
    expect(loadConfig({}).autoPause).toEqual(DEFAULT_AUTO_PAUSE);
    expect(() => loadConfig({ AUTO_PAUSE_COMPLAINT_RATE: 'low' })).toThrow(/AUTO_PAUSE_COMPLAINT_RATE.*'low' is not a percentage/);
    expect(() => loadConfig({ AUTO_PAUSE_HARD_BOUNCE_RATE: '150%' })).toThrow(/AUTO_PAUSE_HARD_BOUNCE_RATE/);
    expect(() => loadConfig({ AUTO_PAUSE_WINDOW: '-1' })).toThrow(/AUTO_PAUSE_WINDOW/);
  });
});

describe('auto-pause with a real SMTP peer', () => {
  let stack: TestStack | undefined;
  afterEach(async () => {
    await stack?.close();
    stack = undefined;
  });

  const api = async (s: TestStack, route: string, method = 'GET') => {
    const res = await fetch(`${s.baseUrl}/api${route}`, { method, headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' }, body: method === 'POST' ? '{}' : undefined });
    return (await res.json()) as { status: string; statusReason: string | null; counts: Record<string, number> };
  };

  it('pauses a send whose recipients the server refuses (550 5.1.1) too often, and resume finishes it', async () => {
    // One address in four does not exist: 25 % hard bounces, far above 5 %.
    let refusing = true;
    stack = await startStack({
      http: true,
      workers: true,
      env: { ADMIN_TOKEN, SEND_RATE: '100' },
      smtp: {
        reply: (m) => (refusing && Number(/^n(\d+)@/.exec(m.to[0])?.[1]) % 4 === 0
          ? { code: 550, message: '5.1.1 <' + m.to[0] + '>: Recipient address rejected: User unknown in virtual mailbox table' }
          : undefined),
      },
    });
    const { issueId } = await seedSend(stack, 'refused', 800);
    const { send } = await startSend(stack.services, issueId, 'refused');
    await waitFor(async () => (await sendStatus(stack!, send.id)).status === 'paused' || undefined, 60_000);
    const paused = await api(stack, `/sends/${send.id}`);
    expect(paused.status).toBe('paused');
    expect(paused.statusReason).toMatch(/^paused automatically: 5\d hard bounces among the last \d+ deliveries \(5\.\d%, above AUTO_PAUSE_HARD_BOUNCE_RATE=5%\): clean the list/);
    // It stopped early: far from the whole list went out.
    expect(paused.counts.sent + paused.counts.failed).toBeLessThan(400);
    // Resumed after the list was cleaned (here: the server stops refusing), the send goes on to the end.
    refusing = false;
    const resumed = await api(stack, `/sends/${send.id}/resume`, 'POST');
    expect(resumed.status).toBe('sending');
    const outcome = await waitForSend(stack.services, send.id, { bar: false });
    expect(outcome.send.status).toBe('finished');
    expect(outcome.counts.sent + outcome.counts.failed).toBe(800);
    expect(outcome.counts.failed).toBe(paused.counts.failed);
    expect(new Set(stack.smtp.messages.map((m) => m.to[0])).size).toBe(outcome.counts.sent);
  }, 120_000);

  it('pauses on ARF complaints reported while the send runs; resume starts a fresh window', async () => {
    stack = await startStack({ http: true, workers: true, env: { ADMIN_TOKEN, SEND_RATE: '40' } });
    const { issueId } = await seedSend(stack, 'complained', 400);
    const { send } = await startSend(stack.services, issueId, 'complained');
    await waitFor(async () => stack!.smtp.messages.length >= 30 || undefined, 60_000);
    // Two readers press "report spam" at Yahoo: the feedback loop sends ARF reports naming our Message-IDs.
    const arf = readFileSync(path.join(__dirname, 'fixtures/bounces/yahoo-arf-complaint.eml'), 'utf8');
    for (const [n, message] of stack.smtp.messages.slice(0, 2).entries()) {
      const sent = await parse(message.raw);
      const report = arf
        .replaceAll('annoyed.reader@yahoo.com', message.to[0])
        .replace('<tidings.3.107@lifewithdata.test>', sent.messageId!)
        .replace('<1762244122.73514@arf.mail.yahoo.com>', `<1762244122.7351${n}@arf.mail.yahoo.com>`);
      const { reports } = await parseReportMessage(Buffer.from(report));
      expect(reports).toEqual([expect.objectContaining({ kind: 'complaint' })]);
      await applyBounceReports(stack.services, reports);
    }
    const paused = await api(stack, `/sends/${send.id}`);
    expect(paused.status).toBe('paused');
    expect(paused.statusReason).toMatch(/paused automatically: 2 complaints among the last \d+ deliveries .*AUTO_PAUSE_COMPLAINT_RATE=0\.1%; Gmail's limit is 0\.3%/);
    // Nothing new starts while it is paused.
    const atPause = paused.counts.sent;
    await new Promise((resolve) => setTimeout(resolve, 500));
    const settled = (await api(stack, `/sends/${send.id}`)).counts.sent;
    expect(settled - atPause).toBeLessThanOrEqual(20);
    // Resumed, the complaints already counted stay behind: it is not paused again and finishes.
    await resumeSend(stack.services, send.id);
    const outcome = await waitForSend(stack.services, send.id, { bar: false });
    expect(outcome.send.status).toBe('finished');
    expect(outcome.counts.sent).toBe(400);
  }, 120_000);
});
