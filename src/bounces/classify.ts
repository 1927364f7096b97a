import { classifyReply, enhancedStatus, type ReplyVerdict } from '../mail/reply-verdict';

/**
 * Bounce classification: from what a report says to what Tidings does (the codes and texts behind each kind are
 * in src/mail/reply-verdict.ts, shared with SMTP refusals).
 *
 * - hard      no such user or domain (5.1.x …): suppress after one.
 * - soft      mailbox full, too large, disabled, expired and other trouble: suppress after 5 consecutive sends
 *             spanning at least 14 days; a successful delivery resets the count.
 * - complaint the reader marked the email as spam: suppress on every list at once.
 * - unsubscribe an ARF opt-out: the reader leaves the list (no complaint, no suppression).
 * - policy    5.7.x (policy, authentication, reputation): the sender's problem. Nobody is suppressed; the
 *             operator is told.
 * - ignore    not a bounce at all: `Action: delayed`, `delivered`, auto-replies.
 */

export type BounceKind = 'hard' | 'soft' | 'complaint' | 'unsubscribe' | 'policy' | 'ignore';

export interface BounceSignal {
  /** What the provider or the report itself says, when it says anything. */
  providerKind?: BounceKind;
  /** RFC 3463 enhanced status code, e.g. 5.1.1. */
  status?: string;
  /** SMTP reply or diagnostic text; an enhanced code is looked for in it when `status` is missing. */
  diagnostic?: string;
}

export const SOFT_BOUNCE_POLICY = { sends: 5, spanDays: 14 } as const;

export { enhancedStatus };

/**
 * What a bounce report means. The reply table (src/mail/reply-verdict.ts) decides, as it does for refusals
 * during our own SMTP conversation; a report is final (the reporting server gave up), so a 4.x.x in it means
 * what its subject and text say. The provider's own word counts only where the table has nothing specific.
 */
export function classifyBounce(signal: BounceSignal): BounceKind {
  if (signal.providerKind === 'complaint' || signal.providerKind === 'ignore' || signal.providerKind === 'unsubscribe') return signal.providerKind;
  const status = enhancedStatus(signal.status) ?? enhancedStatus(signal.diagnostic);
  if (status?.startsWith('2.')) return 'ignore';
  if (!status && !signal.diagnostic) return signal.providerKind ?? 'soft';
  const { verdict, specific } = classifyReply({ status, text: signal.diagnostic }, { final: true });
  if (!specific && signal.providerKind) return signal.providerKind;
  return bounceKindOf(verdict);
}

/** A final verdict as a bounce kind (a final verdict is never throttled or temporary). */
export function bounceKindOf(verdict: ReplyVerdict): 'hard' | 'soft' | 'policy' {
  return verdict === 'hard' || verdict === 'policy' ? verdict : 'soft';
}

/** Whether a soft-bounce streak has reached the point of suppression. */
export function softStreakSuppresses(streak: { sends: number; firstAt: Date; lastAt: Date }): boolean {
  const spanMs = streak.lastAt.getTime() - streak.firstAt.getTime();
  return streak.sends >= SOFT_BOUNCE_POLICY.sends && spanMs >= SOFT_BOUNCE_POLICY.spanDays * 86_400_000;
}
