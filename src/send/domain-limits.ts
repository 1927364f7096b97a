/**
 * Per-recipient-domain sending limits (DOMAIN_LIMITS) and the adaptive pace that a deferral sets: pure
 * parsing and arithmetic. The limits are enforced by BullMQ's limiter in Redis (one queue per group, see
 * workers/domain-workers.ts), so they hold across every worker on every host.
 */

export interface DomainGroup {
  /** The group's name: its first domain, or `*` for every domain not named elsewhere. */
  readonly name: string;
  readonly domains: readonly string[];
  /** Messages per second at full pace. */
  readonly perSecond: number;
}

export interface DomainLimits {
  /** Named groups, in the order written. */
  readonly groups: readonly DomainGroup[];
  /** `*=…/s`: every other domain. Unset: other domains are limited by SEND_RATE only. */
  readonly fallback: DomainGroup | undefined;
}

const UNITS: Record<string, number> = { s: 1, sec: 1, second: 1, m: 60, min: 60, minute: 60, h: 3600, hour: 3600 };
const DOMAIN = /^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}$/;

/**
 * Parses `gmail.com,googlemail.com=40/s; yahoo.com,aol.com=20/s; *=200/s` (units /s, /min, /h).
 * Throws a plain message naming the part that is wrong.
 */
export function parseDomainLimits(value: string): DomainLimits {
  const groups: DomainGroup[] = [];
  let fallback: DomainGroup | undefined;
  const seen = new Set<string>();
  for (const raw of value.split(';').map((p) => p.trim()).filter(Boolean)) {
    const match = /^([^=]+)=\s*(\d+(?:\.\d+)?)\s*\/\s*([a-z]+)$/i.exec(raw);
    if (!match) throw new Error(`'${raw}' is not domains=N/s (for example gmail.com,googlemail.com=40/s)`);
    const unit = UNITS[match[3].toLowerCase()];
    if (!unit) throw new Error(`'${raw}': the unit must be /s, /min or /h`);
    const perSecond = Number(match[2]) / unit;
    if (!(perSecond > 0)) throw new Error(`'${raw}': the rate must be more than 0`);
    const domains = match[1].split(',').map((d) => d.trim().toLowerCase()).filter(Boolean);
    if (domains.length === 1 && domains[0] === '*') {
      if (fallback) throw new Error("'*' is given twice");
      fallback = { name: '*', domains: [], perSecond };
      continue;
    }
    for (const domain of domains) {
      if (!DOMAIN.test(domain)) throw new Error(`'${domain}' is not a domain name (write one group per ';', '*' alone for the rest)`);
      if (seen.has(domain)) throw new Error(`'${domain}' is in two groups`);
      seen.add(domain);
    }
    if (domains.length === 0) throw new Error(`'${raw}' names no domain`);
    groups.push({ name: domains[0], domains, perSecond });
  }
  if (groups.length === 0 && !fallback) throw new Error('names no limit (for example gmail.com=40/s; *=200/s)');
  return { groups, fallback };
}

/** The group a recipient domain belongs to: a named one, else the fallback (`*`), else undefined. */
export function groupOf(limits: DomainLimits, domain: string): DomainGroup | undefined {
  const d = domain.toLowerCase();
  return limits.groups.find((g) => g.domains.includes(d)) ?? limits.fallback;
}

/** The recipient domain of an address (the part after the last @), lower-cased. */
export function domainOf(address: string): string {
  return address.slice(address.lastIndexOf('@') + 1).toLowerCase();
}

/**
 * How the pace of a group (a fraction of its full rate) moves: a deferral halves it (at most once per
 * `holdMs`, so the messages in flight when the server started deferring count once), and every
 * `recoveryMs` without a deferral it climbs back by `step`, never below `min` nor above 1 (additive
 * increase, multiplicative decrease, as TCP does). Applied atomically in Redis: src/queue/domain-pace.ts.
 */
export interface PacePolicy {
  readonly holdMs: number;
  readonly recoveryMs: number;
  readonly step: number;
  readonly min: number;
}

export const DEFAULT_PACE_POLICY: PacePolicy = { holdMs: 2_000, recoveryMs: 10_000, step: 0.1, min: 1 / 64 };

/**
 * A rate as BullMQ's limiter takes it: `max` jobs per `duration` ms. Below one a second, one job per
 * longer window (a pace of 1/64 of 40/s is one message every 1.6 s).
 */
export function limiterFor(perSecond: number, pace: number): { max: number; duration: number } {
  const rate = perSecond * pace;
  if (rate >= 1) return { max: Math.floor(rate), duration: 1000 };
  return { max: 1, duration: Math.round(1000 / rate) };
}

/** The BullMQ queue of a group: `deliver` for the fallback (the queue every delivery first goes to). */
export function groupQueueName(group: DomainGroup | undefined): string {
  return !group || group.name === '*' ? 'deliver' : `deliver-${group.name}`;
}
