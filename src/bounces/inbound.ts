import { createHash } from 'node:crypto';
import type { Config } from '../config';
import type { Logger } from '../log';
import type { Pool } from '../db/pool';
import { findDeliveryById } from '../db/bounces';
import { storeInboundMessage, type InboundOutcome } from '../db/inbound-messages';
import { applyBounceReports } from './apply';
import { parseReportMessage } from './report-message';
import type { BounceReport } from './report';

export interface InboundDeps {
  pool: Pool;
  log: Logger;
  /** Our own addresses (the sender, the bounce domain's): never taken for a failed recipient. */
  ownAddresses: readonly string[];
  /** AUTO_PAUSE_*: a send whose reports bounce hard too often pauses itself. */
  config: Pick<Config, 'autoPause'>;
}

export interface InboundMessage {
  channel: 'smtp' | 'imap';
  raw: Buffer;
  envelopeFrom?: string;
  envelopeTo?: string;
  /** The delivery a VERP address named (its token verified): it decides which delivery bounced. */
  deliveryId?: number;
}

export interface InboundResult {
  id: number | null;
  duplicate: boolean;
  type: string;
  outcome: InboundOutcome;
  note?: string;
}

/**
 * One message that reached the bounce mailbox, whichever way it came: parsed, applied at once, stored raw with
 * what was made of it. A message seen before (same bytes) changes nothing. A message that cannot be parsed is
 * stored as `malformed` and reported; this never throws for bad input (only when PostgreSQL is unreachable).
 */
export async function receiveInboundMessage(deps: InboundDeps, message: InboundMessage): Promise<InboundResult> {
  const sha256 = createHash('sha256').update(message.raw).digest();
  let type = 'malformed';
  let note: string | undefined;
  let reports: BounceReport[] = [];
  try {
    const parsed = await parseReportMessage(message.raw, { ownAddresses: deps.ownAddresses });
    type = parsed.type;
    note = parsed.firstLines ? `${parsed.note}; it begins: ${parsed.firstLines.join(' | ')}` : parsed.note;
    reports = await verpFirst(deps.pool, parsed.reports, message.deliveryId);
  } catch (err) {
    note = `could not be parsed: ${(err as Error).message}`;
  }
  const counted = reports.filter((r) => r.kind !== 'ignore');
  const outcome: InboundOutcome = type === 'malformed' ? 'malformed' : type === 'unknown' ? 'unrecognised' : counted.length ? 'applied' : 'ignored';
  const id = await storeInboundMessage(deps.pool, {
    channel: message.channel,
    sha256,
    envelopeFrom: message.envelopeFrom ?? null,
    envelopeTo: message.envelopeTo ?? null,
    deliveryId: message.deliveryId ?? null,
    type,
    outcome,
    note: note ?? null,
    reports: reports.map((r) => ({ kind: r.kind, email: r.email, status: r.status, diagnostic: r.diagnostic?.slice(0, 300) })),
    raw: message.raw,
  });
  if (id === null) {
    deps.log.info({ event: 'inbound.duplicate', channel: message.channel }, 'message seen before: not applied again');
    return { id, duplicate: true, type, outcome, note };
  }
  if (counted.length) await applyBounceReports(deps, counted);
  const log = outcome === 'applied' || outcome === 'ignored' ? deps.log.info.bind(deps.log) : deps.log.warn.bind(deps.log);
  log({ event: `inbound.${outcome}`, channel: message.channel, inboundId: id, type, deliveryId: message.deliveryId, note }, `inbound message ${outcome}`);
  return { id, duplicate: false, type, outcome, note };
}

/**
 * The VERP address names the delivery that bounced, whatever address the report names (a forwarded address,
 * an alias): the report is applied to that delivery and its subscriber's address.
 */
async function verpFirst(pool: Pool, reports: BounceReport[], deliveryId: number | undefined): Promise<BounceReport[]> {
  if (deliveryId === undefined || reports.length === 0) return reports;
  const delivery = await findDeliveryById(pool, deliveryId);
  if (!delivery) return reports;
  // One delivery, one recipient: every failed report in the message is about it.
  return reports.map((r) =>
    r.kind === 'ignore' ? r : { ...r, email: delivery.email, deliveryId: delivery.deliveryId, details: { ...r.details, reportedAddress: r.email } },
  );
}
