import { describe, expect, it } from 'vitest';
import { BackgroundWork, type WorkBuffer } from '../src/util/background-work';

/** A buffer fake: items added, written on flush. */
class FakeBuffer implements WorkBuffer {
  items: string[] = [];
  written: string[] = [];
  get pendingCount() {
    return this.items.length;
  }
  async flush() {
    this.written.push(...this.items.splice(0));
  }
}

const deferred = () => {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
};

describe('BackgroundWork', () => {
  it('runs a task after the current turn, so the answer goes out first', async () => {
    const order: string[] = [];
    const work = new BackgroundWork({ onError: () => {} });
    work.later('task', async () => order.push('task'));
    order.push('answer');
    expect(work.runningCount).toBe(1);
    await work.drain();
    expect(order).toEqual(['answer', 'task']);
    expect(work.runningCount).toBe(0);
  });

  it('drains tasks still running, the tasks they start, and then the buffers they filled', async () => {
    const buffer = new FakeBuffer();
    const work = new BackgroundWork({ onError: () => {} });
    work.holds('events', buffer);
    const gate = deferred();
    work.later('subscription', async () => {
      await gate.promise;
      work.later('confirmation email', async () => buffer.items.push('from the second task'));
    });
    buffer.items.push('already buffered');
    let drained = false;
    const draining = work.drain().then(() => (drained = true));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(drained).toBe(false);
    gate.resolve();
    await draining;
    expect(buffer.written).toEqual(['already buffered', 'from the second task']);
    expect(buffer.pendingCount).toBe(0);
  });

  it('hands a failed task to onError and still drains', async () => {
    const failures: Array<[string, string]> = [];
    const work = new BackgroundWork({ onError: (name, err) => failures.push([name, (err as Error).message]) });
    work.later('subscription', async () => {
      throw new Error('database down');
    });
    work.later('other', async () => {});
    await work.drain();
    expect(failures).toEqual([['subscription', 'database down']]);
  });

  it('reports what it is waiting for while it drains', async () => {
    const reports: unknown[] = [];
    const buffer = new FakeBuffer();
    buffer.items.push('x');
    const work = new BackgroundWork({ onError: () => {}, reportEveryMs: 5, onWaiting: (running, buffered) => reports.push({ running, buffered }) });
    work.holds('events', buffer);
    const gate = deferred();
    work.later('subscription', () => gate.promise);
    work.later('subscription', () => gate.promise);
    const draining = work.drain();
    await new Promise((resolve) => setTimeout(resolve, 30));
    gate.resolve();
    await draining;
    expect(reports[0]).toEqual({ running: { subscription: 2 }, buffered: { events: 1 } });
  });

  it('returns at once when nothing was accepted', async () => {
    await new BackgroundWork({ onError: () => {} }).drain();
  });
});
