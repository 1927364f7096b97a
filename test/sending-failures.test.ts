import { afterEach, describe, expect, it } from 'vitest';
import { waitForSend } from '../src/cli/progress';
import { startSend } from '../src/send/control';
import type { CapturedMessage } from '../src/mail/capture-server';
import { deliveryStates, seedSend, sendStatus, startStack, waitFor, type TestStack } from './helpers';

const recipient = (m: CapturedMessage) => m.to[0];
const number = (address: string) => Number(/^n(\d+)@/.exec(address)![1]);

describe('SMTP failures', () => {
  let stack: TestStack | undefined;
  afterEach(async () => {
    await stack?.close();
    stack = undefined;
  });

  it('retries temporary failures (450, 451, 421 closing the connection) with backoff until they are sent', async () => {
    const refusedOnce = new Set<string>();
    stack = await startStack({
      workers: true,
      env: { RETRY_SCHEDULE: '2s' },
      smtp: {
        reply: (m) => {
          const n = number(recipient(m));
          if (n % 5 !== 0 || refusedOnce.has(recipient(m))) return undefined;
          refusedOnce.add(recipient(m));
          if (n % 15 === 0) return { code: 421, message: '4.4.2 Service shutting down, closing transmission channel' };
          return n % 10 === 0 ? { code: 451, message: '4.3.0 Temporary local problem, try again' } : { code: 450, message: '4.2.1 Mailbox busy' };
        },
      },
    });
    const { issueId } = await seedSend(stack, 'temp', 40);
    const { send } = await startSend(stack.services, issueId, 'temp');
    const outcome = await waitForSend(stack.services, send.id, { bar: false });
    expect(outcome.send.status).toBe('finished');
    expect(outcome.counts).toMatchObject({ total: 40, sent: 40, failed: 0 });
    expect(refusedOnce.size).toBe(8);
    const { rows } = await stack.services.pool.query<{ email: string; attempts: number; smtp_response: string }>(
      'SELECT s.email, d.attempts, d.smtp_response FROM deliveries d JOIN subscribers s ON s.id = d.subscriber_id WHERE d.send_id = $1',
      [send.id],
    );
    for (const row of rows) expect(row.attempts).toBe(refusedOnce.has(row.email) ? 2 : 1);
    // Each accepted exactly once.
    expect(new Set(stack.smtp.messages.map(recipient)).size).toBe(stack.smtp.messages.length);
  });

  it('caps attempts: a recipient deferred every time fails as exhausted after 5 attempts', async () => {
    let deferrals = 0;
    stack = await startStack({
      workers: true,
      env: { RETRY_SCHEDULE: '50ms', RETRY_FOR_HOURS: String(0.2 / 3600) },
      smtp: {
        reply: (m) => {
          if (recipient(m) !== 'n3@example.com') return undefined;
          deferrals++;
          return { code: 451, message: '4.4.1 No answer from host' };
        },
      },
    });
    const { issueId } = await seedSend(stack, 'capped', 5);
    const { send } = await startSend(stack.services, issueId, 'capped');
    const outcome = await waitForSend(stack.services, send.id, { bar: false });
    expect(outcome.counts).toMatchObject({ total: 5, sent: 4, failed: 1 });
    expect(deferrals).toBe(5);
    const { rows } = await stack.services.pool.query("SELECT attempts, failure_kind FROM deliveries WHERE send_id = $1 AND status = 'failed'", [send.id]);
    expect(rows).toEqual([{ attempts: 5, failure_kind: 'exhausted' }]);
  });

  it('fails permanent refusals at once, with the reply stored, and never retries them', async () => {
    let attemptsOn7 = 0;
    stack = await startStack({
      workers: true,
      smtp: {
        reply: (m) => {
          if (recipient(m) === 'n7@example.com') {
            attemptsOn7++;
            return { code: 550, message: '5.1.1 <n7@example.com>: Recipient address rejected: User unknown' };
          }
          return recipient(m) === 'n8@example.com' ? { code: 553, message: '5.1.3 Bad recipient address syntax' } : undefined;
        },
      },
    });
    const { issueId } = await seedSend(stack, 'perm', 10);
    const { send } = await startSend(stack.services, issueId, 'perm');
    const outcome = await waitForSend(stack.services, send.id, { bar: false });
    expect(outcome.counts).toMatchObject({ total: 10, sent: 8, failed: 2 });
    const { rows } = await stack.services.pool.query(
      `SELECT s.email, d.status, d.attempts, d.failure_kind AS "failureKind", d.smtp_response AS "smtpResponse"
       FROM deliveries d JOIN subscribers s ON s.id = d.subscriber_id WHERE d.send_id = $1 AND d.status = 'failed' ORDER BY s.email`,
      [send.id],
    );
    expect(rows).toEqual([
      { email: 'n7@example.com', status: 'failed', attempts: 1, failureKind: 'recipient', smtpResponse: expect.stringMatching(/^550 5\.1\.1 .*User unknown/) },
      { email: 'n8@example.com', status: 'failed', attempts: 1, failureKind: 'recipient', smtpResponse: expect.stringMatching(/^553 /) },
    ]);
    await new Promise((resolve) => setTimeout(resolve, 3000));
    expect(attemptsOn7).toBe(1);
  });

  it('pauses a send by itself when 5.7.x refusals pile up, marking them the sender\'s problem', async () => {
    stack = await startStack({
      workers: true,
      concurrency: 5,
      env: { POLICY_FAILURE_LIMIT: '10' },
      smtp: { reply: () => ({ code: 550, message: '5.7.1 Message rejected: sender domain not authorised (SPF)' }) },
    });
    const { issueId } = await seedSend(stack, 'policy', 200);
    const { send } = await startSend(stack.services, issueId, 'policy');
    await waitFor(async () => (await sendStatus(stack!, send.id)).status === 'paused');
    const status = await sendStatus(stack, send.id);
    expect(status.statusReason).toMatch(/5\.7\.x refusals in a row/);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const states = await deliveryStates(stack, send.id);
    expect(states.failed).toBeGreaterThanOrEqual(10);
    expect(states.failed).toBeLessThan(60);
    expect(states.sent ?? 0).toBe(0);
    const kinds = await stack.services.pool.query("SELECT DISTINCT failure_kind FROM deliveries WHERE send_id = $1 AND status = 'failed'", [send.id]);
    expect(kinds.rows).toEqual([{ failure_kind: 'sender' }]);
  });

  it('slows down on throttling replies without spending attempts', async () => {
    const throttledAt = new Map<string, number>();
    stack = await startStack({
      workers: true,
      concurrency: 2,
      smtp: {
        reply: (m) => {
          if (throttledAt.size >= 3 || throttledAt.has(recipient(m))) return undefined;
          throttledAt.set(recipient(m), Date.now());
          return { code: 421, message: '4.7.0 Too many messages, slow down' };
        },
      },
    });
    const { issueId } = await seedSend(stack, 'throttle', 20);
    const { send } = await startSend(stack.services, issueId, 'throttle');
    const outcome = await waitForSend(stack.services, send.id, { bar: false });
    expect(outcome.counts).toMatchObject({ total: 20, sent: 20, failed: 0 });
    expect(new Set(stack.smtp.messages.map(recipient)).size).toBe(20);
    const { rows } = await stack.services.pool.query<{ email: string; attempts: number; sent_at: Date }>(
      'SELECT s.email, d.attempts, d.sent_at FROM deliveries d JOIN subscribers s ON s.id = d.subscriber_id WHERE d.send_id = $1',
      [send.id],
    );
    for (const row of rows) {
      // No attempt was spent on a throttling reply…
      expect(row.attempts).toBe(1);
      // …and the throttled messages went out only after the queue held back (5 s).
      const throttled = throttledAt.get(row.email);
      if (throttled) expect(row.sent_at.getTime() - throttled).toBeGreaterThan(4000);
    }
  });
});
