import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { Services } from '../app/services';
import type { List } from '../db/lists';
import { findReaderContact, type ReaderContact } from '../db/reader-preferences';
import { claimConfirmationEmail } from '../db/subscribe-form';
import { catalogueFor, type Catalogue } from '../i18n/catalogues';
import { buildLinkEmail } from '../mail/link-email';
import { listSender } from '../send/sender';

/** One confirmation email per subscription per 24 hours (Redis first, then the database claim). */
export const CONFIRMATION_EMAIL_EVERY_SECONDS = 24 * 3600;
/** One "your links" email per address per 10 minutes, however it was asked for. */
export const LINKS_EMAIL_EVERY_SECONDS = 10 * 60;

/** What happened to an email the reader pages were asked to send. */
export type ReaderEmailResult = 'sent' | 'limited' | 'unreachable';

type Deps = Pick<Services, 'config' | 'log' | 'pool' | 'redis' | 'links' | 'dkim' | 'readerMail'>;

/**
 * The emails the reader pages send: the double opt-in confirmation (from the subscribe form, a "subscribe
 * again" button or an expired confirmation link) and a reader's own links (preferences and unsubscribe,
 * asked for on the generic unsubscribe page or from an expired preferences link). Each is rate-limited per
 * address, in the language of the reader's list(s).
 */
export class ReaderEmails {
  private readonly confirmations: RateLimiterRedis;
  private readonly linkEmails: RateLimiterRedis;

  constructor(private readonly deps: Deps) {
    const prefix = `${deps.config.queuePrefix}:rl`;
    // Keyed by list and address: subscribing to two lists on one day gets both confirmations.
    this.confirmations = new RateLimiterRedis({ storeClient: deps.redis, keyPrefix: `${prefix}:confirm-email`, points: 1, duration: CONFIRMATION_EMAIL_EVERY_SECONDS });
    this.linkEmails = new RateLimiterRedis({ storeClient: deps.redis, keyPrefix: `${prefix}:links-email`, points: 1, duration: LINKS_EMAIL_EVERY_SECONDS });
  }

  /** The confirmation email of a subscription that is not confirmed yet (or was left and is asked for again). */
  async confirmation(list: List, subscriber: { id: number; email: string; name: string }): Promise<ReaderEmailResult> {
    const { log } = this.deps;
    if (!(await this.allowed(this.confirmations, `${list.id}:${subscriber.email.toLowerCase()}`))) return this.limited('confirmation', list.id, subscriber.id);
    if (!(await claimConfirmationEmail(this.deps.pool, list.id, subscriber.id))) return this.limited('confirmation', list.id, subscriber.id);
    const t = catalogueFor(list.language);
    await this.send(list, subscriber, t, {
      subject: t.confirmEmailSubject(list.name),
      intro: t.confirmEmailIntro(list.name),
      button: t.confirmEmailButton,
      outro: t.confirmEmailOutro,
      url: this.deps.links.confirm(subscriber.id, list.id),
    });
    log.info({ event: 'subscribe.confirmation_sent', listId: list.id, subscriberId: subscriber.id }, 'confirmation email sent');
    return 'sent';
  }

  /**
   * A reader's own links: the preferences page and one unsubscribe link per list they receive. `fallback`
   * is the language when their lists speak several (the page's). Unknown and unreachable addresses get
   * nothing; the caller answers the same either way.
   */
  async subscriptionLinks(by: { id: number } | { email: string }, fallback: Catalogue): Promise<ReaderEmailResult | 'unknown'> {
    const reader = await findReaderContact(this.deps.pool, by);
    if (!reader) return 'unknown';
    if (reader.unreachable) return 'unreachable';
    if (!(await this.allowed(this.linkEmails, reader.email.toLowerCase()))) return this.limited('links', null, reader.id);
    const t = languageOf(reader, fallback);
    const { links } = this.deps;
    await this.send(undefined, reader, t, {
      subject: t.linksEmailSubject,
      intro: t.linksEmailIntro,
      button: t.linksEmailButton,
      outro: t.linksEmailOutro,
      url: links.preferences(reader.id),
      more: reader.subscriptions
        .filter((s) => s.status !== 'unsubscribed')
        .map((s) => ({ label: t.linksEmailUnsubscribe(s.name), url: links.unsubscribe(reader.id, s.listId, 0) })),
    });
    this.deps.log.info({ event: 'reader.links_sent', subscriberId: reader.id }, 'subscription links emailed');
    return 'sent';
  }

  private async send(
    list: List | undefined,
    to: { email: string; name: string },
    t: Catalogue,
    message: { subject: string; intro: string; button: string; outro: string; url: string; more?: { label: string; url: string }[] },
  ): Promise<void> {
    const sender = listSender(this.deps.config, list ?? {});
    const raw = buildLinkEmail({ from: sender, to: { name: to.name, address: to.email }, sendingDomain: sender.domain, lang: t.lang, dkim: this.deps.dkim, ...message });
    const mailer = await this.deps.readerMail.get();
    await mailer.send({ from: sender.address, to: to.email }, raw);
  }

  /** Redis decides first (cheap under a flood); when Redis is down the database claims (or nothing) decide. */
  private allowed(limiter: RateLimiterRedis, key: string): Promise<boolean> {
    return limiter.consume(key).then(
      () => true,
      (err) => {
        if (err instanceof RateLimiterRes) return false;
        this.deps.log.error({ event: 'reader_email.rate_limit_failed', err }, 'rate limiter unavailable; going on');
        return true;
      },
    );
  }

  private limited(kind: 'confirmation' | 'links', listId: number | null, subscriberId: number): 'limited' {
    this.deps.log.info({ event: 'reader_email.limited', kind, listId, subscriberId }, 'reader email already sent recently');
    return 'limited';
  }
}

/** The reader's lists' language when they share one, else the page's. */
function languageOf(reader: ReaderContact, fallback: Catalogue): Catalogue {
  const languages = new Set(reader.subscriptions.map((s) => s.language));
  return languages.size === 1 ? catalogueFor([...languages][0]) : fallback;
}
