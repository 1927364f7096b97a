import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSmtpMailer } from '../src/mail/mailer';
import { deliverBacklog } from '../src/queue/queues';
import { fanoutPageSize, waitForRoom } from '../src/send/fanout-backpressure';
import { startSend } from '../src/send/control';
import { startWorkers } from '../workers/index';
import { deliveryStates, seedSend, sendStatus, startStack, waitFor, type TestStack } from './helpers';

describe('fan-out backpressure (pure)', () => {
  const noSleep = async () => {};

  it('goes on at once when the page fits, and never waits when unbounded', async () => {
    expect(await waitForRoom({ backlog: async () => 10, stillFanningOut: async () => true, sleep: noSleep }, 100, 20, 50)).toBe('room');
    expect(await waitForRoom({ backlog: async () => 1e9, stillFanningOut: async () => true, sleep: noSleep }, 0, 0, 5000)).toBe('room');
  });

  it('waits until the senders have taken enough jobs, counting the jobs still on their way', async () => {
    const backlogs = [100, 90, 60, 31, 30];
    let polls = 0;
    const result = await waitForRoom({ backlog: async () => backlogs[Math.min(polls++, backlogs.length - 1)], stillFanningOut: async () => true, sleep: noSleep }, 100, 20, 50);
    expect(result).toBe('room');
    // 30 waiting + 20 on their way + a page of 50 = 100: the first poll where it fits.
    expect(polls).toBe(5);
  });

  it('stops waiting when the send is paused or cancelled', async () => {
    let now = 0;
    const result = await waitForRoom(
      { backlog: async () => 100, stillFanningOut: async () => now < 3000, sleep: async (ms) => void (now += ms) },
      100, 0, 10,
    );
    expect(result).toBe('stopped');
  });

  it('pages fit in the room', () => {
    expect(fanoutPageSize(50_000, 5_000)).toBe(5_000);
    expect(fanoutPageSize(100, 5_000)).toBe(50);
    expect(fanoutPageSize(0, 5_000)).toBe(5_000);
  });
});

describe('fan-out backpressure (real send)', () => {
  let stack: TestStack;
  const AHEAD = 60;

  beforeAll(async () => {
    // Slow SMTP replies: the senders are the bottleneck, so an unbounded fan-out would queue the whole list.
    stack = await startStack({ workers: true, concurrency: 5, smtp: { latencyMs: 5 }, env: { FANOUT_AHEAD: String(AHEAD) } });
  }, 60_000);
  afterAll(async () => stack?.close());

  it(`never holds more than FANOUT_AHEAD (${AHEAD}) waiting jobs, and every subscriber gets one message`, async () => {
    const { issueId } = await seedSend(stack, 'bounded', 400);
    const { send } = await startSend(stack.services, issueId, 'bounded');
    let peak = 0;
    let finished = false;
    while (!finished) {
      peak = Math.max(peak, await deliverBacklog(stack.services.queues));
      finished = (await sendStatus(stack, send.id)).status === 'finished';
    }
    expect(peak).toBeGreaterThan(0);
    expect(peak).toBeLessThanOrEqual(AHEAD);
    await waitFor(async () => stack.smtp.messages.length >= 400);
    expect(await deliveryStates(stack, send.id)).toEqual({ sent: 400 });
    const recipients = stack.smtp.messages.map((m) => m.to[0]);
    expect(new Set(recipients).size).toBe(400);
  }, 120_000);

  it('a worker stopping while its fan-out waits for the senders stops at once; new workers finish the send exactly', async () => {
    const { issueId } = await seedSend(stack, 'stopping', 300);
    const before = stack.smtp.messages.length;
    // No sender takes a job while the queue is paused: the fan-out fills its room and waits.
    await stack.services.queues.deliver.pause();
    const { send } = await startSend(stack.services, issueId, 'stopping');
    await waitFor(async () => (await deliverBacklog(stack.services.queues)) >= AHEAD / 2);
    await stack.workers!.close();
    expect((await sendStatus(stack, send.id)).status).toBe('fanning_out');
    await stack.services.queues.deliver.resume();
    stack.workers = await startWorkers(stack.services, createSmtpMailer({ url: stack.smtp.url, poolSize: 5 }), { concurrency: 5 });
    // The new workers' reconciler adds the fan-out job again; it resumes from the saved cursor.
    await waitFor(async () => (await sendStatus(stack, send.id)).status === 'finished', 120_000);
    expect(await deliveryStates(stack, send.id)).toEqual({ sent: 300 });
    const recipients = stack.smtp.messages.slice(before).map((m) => m.to[0]);
    expect(recipients).toHaveLength(300);
    expect(new Set(recipients).size).toBe(300);
  }, 180_000);
});
