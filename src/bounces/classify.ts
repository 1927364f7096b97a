/**
 * Bounce classification: pure rules from what a report says to what Tidings does.
 *
 * - hard      5.1.x (no such user, bad domain): suppress after one.
 * - soft      4.x.x, 5.2.2 (mailbox full) and other temporary trouble: suppress after 5 consecutive sends
 *             spanning at least 14 days; a successful delivery resets the count.
 * - complaint the reader marked the email as spam: suppress on every list at once.
 * - policy    5.7.x (policy, authentication, reputation): the sender's problem. Nobody is suppressed; the
 *             operator is told.
 * - ignore    not a bounce at all: `Action: delayed`, `delivered`, auto-replies.
 */
export type BounceKind = 'hard' | 'soft' | 'complaint' | 'policy' | 'ignore';

export interface BounceSignal {
  /** What the provider or the report itself says, when it says anything. */
  providerKind?: BounceKind;
  /** RFC 3463 enhanced status code, e.g. 5.1.1. */
  status?: string;
  /** SMTP reply or diagnostic text; an enhanced code is looked for in it when `status` is missing. */
  diagnostic?: string;
}

export const SOFT_BOUNCE_POLICY = { sends: 5, spanDays: 14 } as const;

const ENHANCED_CODE = /\b([245])\.(\d{1,3})\.(\d{1,3})\b/;

/** The enhanced status code in a Status field or an SMTP reply, normalised (`5.1.1`), or undefined. */
export function enhancedStatus(text: string | undefined): string | undefined {
  const match = text ? ENHANCED_CODE.exec(text) : null;
  return match ? `${match[1]}.${Number(match[2])}.${Number(match[3])}` : undefined;
}

export function classifyBounce(signal: BounceSignal): BounceKind {
  if (signal.providerKind === 'complaint' || signal.providerKind === 'ignore') return signal.providerKind;
  const status = enhancedStatus(signal.status) ?? enhancedStatus(signal.diagnostic);
  if (status) {
    const [klass, subject, detail] = status.split('.').map(Number);
    if (klass === 2) return 'ignore';
    if (subject === 7) return 'policy';
    if (klass === 4) return 'soft';
    if (subject === 1) return 'hard';
    if (subject === 2 && detail === 2) return 'soft';
    // Other permanent codes (5.2.1 disabled, 5.4.x routing, 5.0.0 unspecified): trust the provider when it
    // says something, otherwise count them as soft so that only repeated failures suppress.
    return signal.providerKind ?? 'soft';
  }
  return signal.providerKind ?? 'soft';
}

/** Whether a soft-bounce streak has reached the point of suppression. */
export function softStreakSuppresses(streak: { sends: number; firstAt: Date; lastAt: Date }): boolean {
  const spanMs = streak.lastAt.getTime() - streak.firstAt.getTime();
  return streak.sends >= SOFT_BOUNCE_POLICY.sends && spanMs >= SOFT_BOUNCE_POLICY.spanDays * 86_400_000;
}
