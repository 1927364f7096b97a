/**
 * Which tracking hits a machine made rather than a reader. Such events are stored with flags, never
 * dropped, so reports can count them either way. Pure functions of what the request shows.
 */
export type OpenFlag = 'apple_mpp' | 'google_proxy' | 'yahoo_proxy';
export type ClickFlag = 'head' | 'scanner_agent' | 'too_fast' | 'burst';

/** A click this soon after the message was accepted by the SMTP server is most likely a link scanner. */
export const SCANNER_WINDOW_MS = 10_000;
/** This many different links of one message clicked within BURST_WINDOW_MS: a scanner following every link. */
export const BURST_LINKS = 3;
export const BURST_WINDOW_MS = 5_000;

/** Apple Mail Privacy Protection fetches from Apple's 17.0.0.0/8 with a bare "Mozilla/5.0". */
const isAppleAddress = (ip: string) => /^(::ffff:)?17\./.test(ip);

export function openFlags(userAgent: string, ip: string): OpenFlag[] {
  const flags: OpenFlag[] = [];
  if (isAppleAddress(ip) || userAgent.trim() === 'Mozilla/5.0') flags.push('apple_mpp');
  if (/GoogleImageProxy|ggpht\.com/i.test(userAgent)) flags.push('google_proxy');
  if (/YahooMailProxy/i.test(userAgent)) flags.push('yahoo_proxy');
  return flags;
}

// Security gateways and link checkers that announce themselves (most do not: timing catches those).
const SCANNER_AGENTS =
  /barracuda|mimecast|proofpoint|forcepoint|symantec|messagelabs|trendmicro|sophos|fortiguard|safelinks|microsoft office|ms-office|cisco|ironport|bot\b|crawler|spider|preview|python-requests|curl\/|wget\/|go-http-client|okhttp|headless/i;

export function isScannerAgent(userAgent: string): boolean {
  return userAgent.trim() === '' || SCANNER_AGENTS.test(userAgent);
}

export function clickFlags(input: { method: string; userAgent: string; sentAt: Date | null; now: Date; burst: boolean }): ClickFlag[] {
  const flags: ClickFlag[] = [];
  if (input.method === 'HEAD') flags.push('head');
  if (isScannerAgent(input.userAgent)) flags.push('scanner_agent');
  if (input.sentAt && input.now.getTime() - input.sentAt.getTime() < SCANNER_WINDOW_MS) flags.push('too_fast');
  if (input.burst) flags.push('burst');
  return flags;
}

/**
 * Remembers the recent clicks of each message (in this process) to spot "every link at once". Bounded:
 * old entries are dropped as new ones come in.
 */
export class BurstDetector {
  private readonly recent = new Map<number, { at: number; linkId: number }[]>();

  constructor(private readonly maxEntries = 10_000) {}

  /** Records a click and says whether the message's clicks now look like a burst. */
  click(deliveryId: number, linkId: number, now = Date.now()): boolean {
    const kept = (this.recent.get(deliveryId) ?? []).filter((c) => now - c.at < BURST_WINDOW_MS);
    kept.push({ at: now, linkId });
    this.recent.delete(deliveryId);
    this.recent.set(deliveryId, kept);
    if (this.recent.size > this.maxEntries) this.recent.delete(this.recent.keys().next().value!);
    return new Set(kept.map((c) => c.linkId)).size >= BURST_LINKS;
  }
}
