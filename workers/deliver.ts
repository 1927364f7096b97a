import { DelayedError, Worker, type Job } from 'bullmq';
import type { Config } from '../src/config';
import type { ClaimedDelivery, DeliveryResult } from '../src/db/deliveries';
import type { PolicyStreakUpdate } from '../src/db/sends';
import type { BounceReport } from '../src/bounces/report';
import { refusalReport } from '../src/bounces/smtp-refusals';
import type { Logger } from '../src/log';
import { wireAddress } from '../src/mail/email-address';
import { SmtpError, type Mailer } from '../src/mail/mailer';
import type { DeliverJobData } from '../src/queue/queues';
import type { WarmupGate } from '../src/queue/warmup-gate';
import { retryDelayMs } from '../src/send/retry-schedule';

/** How soon a delivery whose route failed at the connection level is tried again (once; see below). */
const CONNECTION_RETRY_MS = 2_000;
import { singleLine } from '../src/render/slots';
import type { Links } from '../src/security/links';
import { recordFailed, recordSent, recordSmtpLatency } from '../src/metrics';
import { Batcher } from '../src/util/batcher';
import type { SendMessage } from './send-message-cache';

/**
 * Claims and results are written in batches of up to 200, each waiting at most 20 ms to fill: jobs reach a
 * worker one by one, and a shorter window left batches of one or two (a PostgreSQL round trip per email).
 * The wait costs latency only; with WORKER_CONCURRENCY jobs in flight it does not cost throughput.
 */
const BATCHING = { maxSize: 200, maxWaitMs: 20 };
/** A send's "is it finished?" query runs at most this often per process (and once more after the last result). */
const FINISH_CHECK_MS = 250;

/** `refusal`: a permanent refusal, applied as a bounce report once the outcome is recorded. */
export type Outcome = DeliveryResult & { sendId: number; refusal?: BounceReport };

/** The rows the deliver processor reads and writes (src/db/deliver-store.ts implements it over PostgreSQL). */
export interface DeliverStore {
  /** Claims a batch of deliveries (see claimDeliveries): the ones not returned are not to be sent by us. */
  claimDeliveries(ids: number[], lockSeconds: number): Promise<ClaimedDelivery[]>;
  recordDeliveryResults(results: DeliveryResult[]): Promise<void>;
  /** Adds to the sends' 5.7.x streaks; returns the sends whose streak reached `limit`. */
  updatePolicyStreaks(updates: PolicyStreakUpdate[], limit: number): Promise<number[]>;
  /** Pauses a send that has not ended; false-ish when it could not be paused. */
  markPaused(sendId: number, reason: string): Promise<unknown>;
  /** Marks finished the sends among `sendIds` with nothing left to deliver; returns those. */
  finishSendsIfDone(sendIds: number[]): Promise<number[]>;
}

/** What the deliver processor works with: given, never taken from a services object. */
export interface DeliverDeps {
  store: DeliverStore;
  mailer: Mailer;
  /** The prebuilt message of each send (SendMessageCache). */
  messages: { get(sendId: number): Promise<SendMessage> };
  links: Pick<Links, 'unsubscribe' | 'openPixel' | 'clickBase'>;
  /** Puts permanent refusals through the bounce policy (applyBounceReports). */
  applyRefusals(reports: BounceReport[]): Promise<unknown>;
  log: Logger;
  /** WARMUP: which route may take the message today; unset, the mailer chooses and nothing is capped. */
  warmup?: Pick<WarmupGate, 'reserve' | 'release'>;
  config: Pick<Config, 'deliveryLockSeconds' | 'policyFailureLimit' | 'retry' | 'throttlesPerAttempt' | 'throttlePauseSeconds'>;
}

/**
 * Sends one delivery per job: claim it (batched with the other jobs in flight), build the message from the
 * send's prebuilt template, send it raw, record the outcome (batched again). PostgreSQL is updated before
 * the job completes, so Redis losing the job loses no record; a crash between sending and recording costs at
 * most the messages in flight, sent again once their claim lock expires.
 */
export class DeliverProcessor {
  private readonly claims: Batcher<number, ClaimedDelivery | undefined>;
  private readonly results: Batcher<Outcome, undefined>;
  /** Set once the BullMQ worker exists: lets a throttling reply slow the whole queue down. */
  worker?: Worker<DeliverJobData>;
  /** DOMAIN_LIMITS: slows only the domain group of a throttled job; false when the job has no group. */
  deferred?: (job: Job<DeliverJobData>) => Promise<boolean>;
  /** DOMAIN_LIMITS: holds the job's own queue for `ms`; false when the job's queue is the main one. */
  holdQueue?: (job: Job<DeliverJobData>, ms: number) => Promise<boolean>;
  /** Sends for which this process saw a 5.7.x refusal: only their streaks need writing. */
  private readonly policyStreakSends = new Set<number>();
  private readonly finishChecks = new Map<number, { last: number; timer?: NodeJS.Timeout }>();

  constructor(private readonly deps: DeliverDeps) {
    this.claims = new Batcher(async (ids) => {
      const claimed = new Map((await deps.store.claimDeliveries(ids, deps.config.deliveryLockSeconds)).map((d) => [d.id, d]));
      return ids.map((id) => claimed.get(id));
    }, BATCHING);
    this.results = new Batcher((outcomes) => this.record(outcomes), BATCHING);
  }

  readonly process = async (job: Job<DeliverJobData>, token?: string): Promise<string> => {
    const delivery = await this.claims.add(job.data.deliveryId);
    if (!delivery) return 'skipped';
    // Only unusual outcomes are logged: the child logger is made when one happens, not for every email.
    const { links, store } = this.deps;
    const log = () => this.deps.log.child({ deliveryId: delivery.id, sendId: delivery.sendId });
    if (delivery.status === 'suppressed') {
      log().info({ event: 'delivery.suppressed' }, 'subscriber left or is blocked: not sent');
      await store.finishSendsIfDone([delivery.sendId]);
      return 'suppressed';
    }
    const message = await this.deps.messages.get(delivery.sendId);
    // The address as it goes on the wire: a Unicode domain in A-labels when the local part is ASCII.
    const to = wireAddress(delivery.email).address;
    const prepared = message.template.prepare({
      deliveryId: delivery.id,
      email: to,
      name: singleLine(delivery.name) || message.defaultName,
      unsubscribeUrl: links.unsubscribe(delivery.subscriberId, message.listId, delivery.id),
      openPixelUrl: links.openPixel(delivery.id),
      clickBase: message.tracking ? links.clickBase(delivery.id) : '',
    });
    const messageId = message.template.messageId(delivery.id);
    const base = { id: delivery.id, sendId: delivery.sendId, messageId };
    let failure: SmtpError;
    // WARMUP: a route with room today, or every route has reached its cap and the delivery waits for tomorrow.
    let route: string | undefined;
    if (this.deps.warmup && this.deps.mailer.preferredRoutes) {
      const grant = await this.deps.warmup.reserve(this.deps.mailer.preferredRoutes());
      if (grant.held) return this.holdForWarmup(job, token, base, grant.until, grant.waitMs);
      route = grant.route;
    }
    const smtpStarted = performance.now();
    try {
      const result = await this.deps.mailer.send({ from: message.envelopeFor(delivery.id), to }, prepared, route);
      recordSmtpLatency(result.route, (performance.now() - smtpStarted) / 1000);
      recordSent(result.route);
      await this.results.add({ ...base, status: 'sent', smtpResponse: result.response, failureKind: null, route: result.route });
      return 'sent';
    } catch (err) {
      failure = err instanceof SmtpError ? err : new SmtpError('temporary', undefined, (err as Error).message, 'unknown', delivery.email, err);
      recordSmtpLatency(failure.route, (performance.now() - smtpStarted) / 1000);
    }
    // The server never took the message (no connection, or it asked us to slow down): the day's slot is given back.
    if (route !== undefined && (failure.responseCode === undefined || failure.kind === 'throttled')) {
      this.deps.warmup!.release(route).catch((err) => this.deps.log.warn({ event: 'warmup.release_failed', route, err }, 'could not give back a warm-up slot'));
    }

    const context = { attempt: delivery.attempts, response: failure.response, route: failure.route, kind: failure.kind };
    const { retry, throttlesPerAttempt, throttlePauseSeconds } = this.deps.config;
    // A throttle holds the route back without spending the delivery's attempt, a bounded number of times: past
    // that it counts as a temporary failure, so a route that never stops throttling still ends the send.
    if (failure.kind === 'throttled' && delivery.throttles < throttlesPerAttempt) {
      // The server asks us to slow down: hold the whole queue back and put this delivery back as it was,
      // without spending one of its attempts.
      await this.results.add({ ...base, status: 'queued', smtpResponse: failure.response, failureKind: null, route: failure.route });
      recordFailed(failure.route, 'throttled');
      log().warn({ event: 'delivery.throttled', ...context, throttles: delivery.throttles + 1 }, 'SMTP server asks to slow down');
      if (await this.deferred?.(job)) throw Worker.RateLimitError();
      if (this.worker) {
        await this.worker.rateLimit(throttlePauseSeconds * 1000);
        throw Worker.RateLimitError();
      }
      return this.retryLater(job, token, throttlePauseSeconds * 1000);
    }
    if (failure.permanent || delivery.attempts >= retry.maxAttempts) {
      const failureKind = failure.kind === 'recipient' ? 'recipient' : failure.kind === 'sender' ? 'sender' : 'exhausted';
      const refusal = refusalReport({ id: delivery.id, email: delivery.email, messageId }, failure);
      await this.results.add({ ...base, status: 'failed', smtpResponse: failure.response, failureKind, route: failure.route, refusal });
      recordFailed(failure.route, failureKind);
      log().warn({ event: 'delivery.failed', ...context, failureKind }, 'delivery failed');
      return 'failed';
    }
    // A failure without a reply (refused, timed out, dropped connection) is the route's, not the recipient's:
    // the first retry comes within seconds, so another route (or the route back from its breaker) takes it
    // instead of the message waiting the schedule's first minute. Later ones follow the schedule.
    const delay = failure.responseCode === undefined && delivery.attempts <= 1
      ? Math.min(CONNECTION_RETRY_MS, retryDelayMs(retry, delivery.attempts))
      : retryDelayMs(retry, delivery.attempts);
    const nextAttemptAt = new Date(Date.now() + delay);
    await this.results.add({ ...base, status: 'retrying', smtpResponse: failure.response, failureKind: null, route: failure.route, nextAttemptAt });
    recordFailed(failure.route, 'temporary');
    log().info({ event: 'delivery.retrying', ...context, delayMs: delay, nextAttemptAt }, 'delivery will be retried');
    return this.retryLater(job, token, delay);
  };

  /**
   * Every route reached its warm-up cap for the day: the delivery goes back to `queued` as it was (its attempt
   * given back, nothing counted against it), its job back to the queue, and the queue waits until the next
   * day, so the waiting deliveries are not claimed again meanwhile (BullMQ's workers look every 30 s).
   */
  private async holdForWarmup(job: Job<DeliverJobData>, token: string | undefined, base: { id: number; sendId: number; messageId: string }, until: Date, waitMs: number): Promise<never> {
    const smtpResponse = `held by the warm-up: every route reached today's cap; the next day starts ${until.toISOString()}`;
    await this.results.add({ ...base, status: 'queued', held: true, smtpResponse, failureKind: null, route: null });
    const ms = Math.max(1_000, waitMs);
    if (await this.holdQueue?.(job, ms)) throw Worker.RateLimitError();
    if (this.worker) {
      await this.worker.rateLimit(ms);
      throw Worker.RateLimitError();
    }
    return this.retryLater(job, token, ms);
  }

  /** Puts the job back in Redis to run again after `delayMs` (the attempt is counted on the delivery row). */
  private async retryLater(job: Job<DeliverJobData>, token: string | undefined, delayMs: number): Promise<never> {
    await job.moveToDelayed(Date.now() + delayMs, token);
    throw new DelayedError();
  }

  private async record(outcomes: Outcome[]): Promise<undefined[]> {
    const { store, config, log } = this.deps;
    await store.recordDeliveryResults(outcomes);
    await this.applyRefusals(outcomes);
    const streaks = policyStreaks(outcomes).filter((u) => u.failures > 0 || this.policyStreakSends.has(u.sendId));
    for (const u of streaks) if (u.failures > 0) this.policyStreakSends.add(u.sendId);
    const overLimit = streaks.length ? await store.updatePolicyStreaks(streaks, config.policyFailureLimit) : [];
    for (const sendId of overLimit) {
      const reason = `paused: ${config.policyFailureLimit} or more 5.7.x refusals in a row (policy or authentication): check the sender's domain, DKIM and SMTP credentials, then resume`;
      if (await store.markPaused(sendId, reason)) log.error({ event: 'send.paused', sendId, reason }, 'send paused by policy refusals');
    }
    for (const sendId of new Set(outcomes.map((o) => o.sendId))) this.checkFinished(sendId);
    return outcomes.map(() => undefined);
  }

  /** Refusals go through the bounce policy; a failure there is logged, the recorded outcomes stand. */
  private async applyRefusals(outcomes: Outcome[]): Promise<void> {
    const reports = outcomes.flatMap((o) => (o.refusal ? [o.refusal] : []));
    if (reports.length === 0) return;
    await this.deps.applyRefusals(reports).catch((err) =>
      this.deps.log.error({ event: 'bounce.apply_failed', source: 'smtp', err }, 'could not apply SMTP refusals as bounces'),
    );
  }

  /** Marks the send finished when nothing is left, at most every FINISH_CHECK_MS, always once after the last call. */
  private checkFinished(sendId: number): void {
    const state = this.finishChecks.get(sendId) ?? { last: 0 };
    this.finishChecks.set(sendId, state);
    if (state.timer) return;
    const run = () => {
      state.timer = undefined;
      state.last = Date.now();
      this.deps.store.finishSendsIfDone([sendId]).then(
        (finished) => {
          if (finished.length) {
            this.deps.log.info({ event: 'send.finished', sendId }, 'send finished');
            this.finishChecks.delete(sendId);
          }
        },
        (err) => this.deps.log.error({ event: 'send.finish_check_failed', sendId, err }, 'could not check whether the send finished'),
      );
    };
    const wait = state.last + FINISH_CHECK_MS - Date.now();
    if (wait <= 0) run();
    else state.timer = setTimeout(run, wait);
  }

  /** Runs the pending finish checks now (graceful shutdown). */
  async flushFinishChecks(): Promise<void> {
    const pending = [...this.finishChecks.entries()].filter(([, s]) => s.timer);
    for (const [, state] of pending) clearTimeout(state.timer);
    if (pending.length) await this.deps.store.finishSendsIfDone(pending.map(([id]) => id));
    this.finishChecks.clear();
  }
}

/** Per send in a batch: did a message go out after the last 5.7.x refusal, and how many refusals follow it. */
export function policyStreaks(outcomes: readonly Outcome[]): PolicyStreakUpdate[] {
  const bySend = new Map<number, PolicyStreakUpdate>();
  for (const outcome of outcomes) {
    let update = bySend.get(outcome.sendId);
    if (!update) bySend.set(outcome.sendId, (update = { sendId: outcome.sendId, reset: false, failures: 0 }));
    if (outcome.status === 'sent') {
      update.reset = true;
      update.failures = 0;
    } else if (outcome.failureKind === 'sender') {
      update.failures++;
    }
  }
  return [...bySend.values()].filter((u) => u.reset || u.failures > 0);
}
