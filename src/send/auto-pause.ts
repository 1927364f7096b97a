/**
 * Auto-pause on bad signals: a send whose last deliveries bounce hard or draw complaints at more than the
 * configured rates pauses itself before it burns the sender's reputation. Pure decision logic; the counts
 * come from src/db/send-signals.ts and the check runs where bounces and complaints are recorded
 * (applyBounceReports: SMTP refusals, DSNs, ARF reports, provider webhooks).
 */

export interface AutoPausePolicy {
  /** The last this many answered deliveries (sent or failed) are looked at; 0 turns auto-pause off. */
  readonly window: number;
  /** Per cent: more hard bounces than this among the window pauses the send. */
  readonly hardBounceRate: number;
  /** Per cent: more complaints than this among the window pauses the send. */
  readonly complaintRate: number;
}

export const DEFAULT_AUTO_PAUSE: AutoPausePolicy = { window: 1000, hardBounceRate: 5, complaintRate: 0.1 };

export interface SignalCounts {
  /** Answered deliveries in the window (at most `window`). */
  deliveries: number;
  hardBounces: number;
  complaints: number;
}

/** Why the send must pause, or undefined when its signals are within the limits. */
export function autoPauseReason(counts: SignalCounts, policy: AutoPausePolicy): string | undefined {
  if (policy.window === 0 || (counts.hardBounces === 0 && counts.complaints === 0)) return undefined;
  // A send with fewer answered deliveries than the window counts as a full window: with the defaults one
  // early complaint (or 50 hard bounces) is not yet a rate, two complaints (51 bounces) are.
  const base = Math.max(counts.deliveries, policy.window);
  const share = (n: number) => (n / base) * 100;
  const among = `among the last ${counts.deliveries} deliveries`;
  if (share(counts.hardBounces) > policy.hardBounceRate) {
    return `paused automatically: ${counts.hardBounces} hard bounces ${among} (${formatPercent(share(counts.hardBounces))}, above AUTO_PAUSE_HARD_BOUNCE_RATE=${policy.hardBounceRate}%): clean the list (an old or bought list?), then resume`;
  }
  if (share(counts.complaints) > policy.complaintRate) {
    return `paused automatically: ${counts.complaints} complaints ${among} (${formatPercent(share(counts.complaints))}, above AUTO_PAUSE_COMPLAINT_RATE=${policy.complaintRate}%; Gmail's limit is 0.3%): check who is on the list and how they joined, then resume`;
  }
  return undefined;
}

function formatPercent(value: number): string {
  return `${value >= 1 ? value.toFixed(1) : value.toFixed(2)}%`;
}

/** `5`, `5%` or `0.1 %` → 5, 5, 0.1; throws a message naming the value. */
export function parsePercent(text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*%?\s*$/.exec(text);
  if (!match || Number(match[1]) > 100) throw new Error(`'${text}' is not a percentage from 0 to 100 (for example 5 or 0.1%)`);
  return Number(match[1]);
}
