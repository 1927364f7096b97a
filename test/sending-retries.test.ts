import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { waitForSend } from '../src/cli/progress';
import { CaptureServer } from '../src/mail/capture-server';
import { createSmtpMailer, SmtpError } from '../src/mail/mailer';
import { retryFailed, startSend } from '../src/send/control';
import { reconcile } from '../src/send/reconcile';
import { seedSend, startStack, waitFor, type TestStack } from './helpers';

const recipient = (to: string[]) => to[0];

/** Each reply, said by a real SMTP server (smtp-server) to a real SMTP client (the pool): what the worker makes of it. */
const REPLIES: Array<[code: number, message: string, verdict: string]> = [
  [450, '4.2.2 Mailbox full, try again later', 'temporary'],
  [452, '4.2.2 Quota exceeded', 'temporary'],
  [451, '4.7.1 Greylisting in action, please try again later', 'temporary'],
  [450, '4.2.1 The user you are trying to contact is receiving mail at a rate that prevents additional messages from being delivered', 'temporary'],
  [451, '4.3.0 Temporary local problem, try again later', 'temporary'],
  [421, '4.7.0 Too many connections from your IP, slow down', 'throttled'],
  [421, '4.7.28 Unusual rate of unsolicited mail from your IP address, rate limited', 'throttled'],
  [454, '4.7.0 Too many messages, rate limit exceeded', 'throttled'],
  [452, '4.4.5 Insufficient system resources', 'throttled'],
  [550, '5.1.1 User unknown', 'hard'],
  [552, '5.2.2 Mailbox full', 'soft'],
  [550, '5.7.1 Client host blocked using zen.spamhaus.org', 'policy'],
];

describe('temporary replies and throttles, against a real SMTP server', () => {
  let stack: TestStack | undefined;
  afterEach(async () => {
    await stack?.close();
    stack = undefined;
  });

  it('reads each reply as the route or the recipient it is about', async () => {
    const server = new CaptureServer({ reply: (m) => {
      const [code, message] = REPLIES[Number(/^r(\d+)@/.exec(recipient(m.to))![1])];
      return { code, message };
    } });
    await server.listen();
    const mailer = createSmtpMailer({ url: server.url, poolSize: 1 });
    try {
      for (const [i, [code, message, verdict]] of REPLIES.entries()) {
        const err = await mailer.send({ from: 'news@lifewithdata.test', to: `r${i}@example.com` }, Buffer.from('Subject: x\r\n\r\nhi\r\n')).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(err, `${code} ${message}`).toBeInstanceOf(SmtpError);
        expect((err as SmtpError).verdict, `${code} ${message}`).toBe(verdict);
        expect((err as SmtpError).responseCode).toBe(code);
      }
    } finally {
      await mailer.close();
      await server.close();
    }
  });

  it('a recipient\'s "try again later" retries that recipient only: the queue is never held', async () => {
    const refused = new Map<string, number>();
    stack = await startStack({
      workers: true,
      // Were any of these taken for a route throttle, the queue would hold for 10 minutes and the test time out.
      env: { RETRY_SCHEDULE: '200ms', THROTTLE_PAUSE_SECONDS: '600' },
      smtp: {
        reply: (m) => {
          const n = Number(/^n(\d+)@/.exec(recipient(m.to))![1]);
          const reply = REPLIES[n - 1];
          if (!reply || reply[2] !== 'temporary' || refused.has(recipient(m.to))) return undefined;
          refused.set(recipient(m.to), n);
          return { code: reply[0], message: reply[1] };
        },
      },
    });
    const { issueId } = await seedSend(stack, 'temporary', 30);
    const { send } = await startSend(stack.services, issueId, 'temporary');
    const outcome = await waitForSend(stack.services, send.id, { bar: false });
    expect(outcome.counts).toMatchObject({ total: 30, sent: 30, failed: 0 });
    expect(refused.size).toBe(5);
    const { rows } = await stack.services.pool.query<{ email: string; attempts: number }>(
      'SELECT s.email, d.attempts FROM deliveries d JOIN subscribers s ON s.id = d.subscriber_id WHERE d.send_id = $1',
      [send.id],
    );
    for (const row of rows) expect(row.attempts, row.email).toBe(refused.has(row.email) ? 2 : 1);
  });

  it('a route that throttles for ever still ends: past THROTTLES_PER_ATTEMPT a throttle spends an attempt', async () => {
    let throttles = 0;
    let throttling = true;
    stack = await startStack({
      workers: true,
      concurrency: 2,
      // 100 ms between attempts for 0.25 s: 3 attempts.
      env: { RETRY_SCHEDULE: '100ms', RETRY_FOR_HOURS: String(0.25 / 3600), THROTTLES_PER_ATTEMPT: '2', THROTTLE_PAUSE_SECONDS: '0.05' },
      smtp: {
        reply: (m) => {
          if (recipient(m.to) !== 'n2@example.com' || !throttling) return undefined;
          throttles++;
          return { code: 421, message: '4.7.0 Too many messages, slow down' };
        },
      },
    });
    const { issueId } = await seedSend(stack, 'throttled', 4);
    const { send } = await startSend(stack.services, issueId, 'throttled');
    const outcome = await waitForSend(stack.services, send.id, { bar: false });
    expect(outcome.send.status).toBe('finished');
    expect(outcome.counts).toMatchObject({ total: 4, sent: 3, failed: 1 });
    const { rows } = await stack.services.pool.query(
      "SELECT attempts, failure_kind FROM deliveries WHERE send_id = $1 AND status = 'failed'",
      [send.id],
    );
    expect(rows).toEqual([{ attempts: 3, failure_kind: 'exhausted' }]);
    // Each attempt: two throttles that cost nothing, then a third that costs the attempt.
    expect(throttles).toBe(9);

    // The route recovers; `tidings retry` gives the delivery a fresh schedule, and it goes out on its first attempt.
    throttling = false;
    await retryFailed(stack.services, send.id);
    const again = await waitForSend(stack.services, send.id, { bar: false });
    expect(again.counts).toMatchObject({ total: 4, sent: 4, failed: 0 });
    const retried = await stack.services.pool.query("SELECT attempts, throttles FROM deliveries d JOIN subscribers s ON s.id = d.subscriber_id WHERE s.email = 'n2@example.com'");
    expect(retried.rows).toEqual([{ attempts: 1, throttles: 0 }]);
  });

  it('a retry due later waits in a delayed job; status shows it; a Redis wipe restores it still delayed', async () => {
    const deferred = new Set<string>();
    stack = await startStack({
      workers: true,
      env: { RETRY_SCHEDULE: '1h', RETRY_FOR_HOURS: '24' },
      smtp: {
        reply: (m) => {
          if (recipient(m.to) !== 'n1@example.com') return undefined;
          deferred.add(recipient(m.to));
          return { code: 451, message: '4.7.1 Greylisted, please try again later' };
        },
      },
    });
    const { issueId } = await seedSend(stack, 'later', 3);
    const { send } = await startSend(stack.services, issueId, 'later');
    const { pool, queues } = stack.services;
    const row = await waitFor(async () => {
      const { rows } = await pool.query<{ id: number; next_attempt_at: Date }>(
        "SELECT id, next_attempt_at FROM deliveries WHERE send_id = $1 AND status = 'retrying'",
        [send.id],
      );
      const sent = await pool.query("SELECT count(*)::int AS n FROM deliveries WHERE send_id = $1 AND status = 'sent'", [send.id]);
      return rows.length === 1 && sent.rows[0].n === 2 && rows[0];
    });
    // About an hour from now (± 20% jitter), and the job waits in Redis for that long.
    const wait = row.next_attempt_at.getTime() - Date.now();
    expect(wait).toBeGreaterThan(0.75 * 3_600_000);
    expect(wait).toBeLessThan(1.25 * 3_600_000);
    const job = await waitFor(async () => ((await queues.deliver.getJob(`d${row.id}`))?.delay ? queues.deliver.getJob(`d${row.id}`) : undefined));
    expect(await job!.getState()).toBe('delayed');

    const { execFile } = await import('node:child_process');
    const status = await new Promise<string>((resolve, reject) =>
      execFile(process.execPath, [fileURLToPath(new URL('../bin/tidings.mjs', import.meta.url)), 'status', String(send.id)], { env: { ...process.env, ...stack!.env } }, (err, out) => (err ? reject(err) : resolve(out))),
    );
    expect(status).toMatch(new RegExp(`retrying\\s+1\\s+next attempt ${row.next_attempt_at.toISOString().slice(0, 16)}`));

    // Redis loses the job: reconcile puts it back, still delayed until the same time.
    await job!.remove();
    await reconcile(stack.services, { force: true });
    const restored = await queues.deliver.getJob(`d${row.id}`);
    expect(await restored!.getState()).toBe('delayed');
    expect(Math.abs(restored!.timestamp + restored!.delay - row.next_attempt_at.getTime())).toBeLessThan(5_000);
  });
});
