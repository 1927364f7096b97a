import type { Config } from '../config';
import type { Pool } from '../db/pool';
import { markPaused } from '../db/send-control';
import { sendSignals } from '../db/send-signals';
import type { Logger } from '../log';
import { autoPauseReason } from './auto-pause';

/**
 * Pauses each of `sendIds` whose last deliveries bounce hard or draw complaints above AUTO_PAUSE_* (see
 * auto-pause.ts). Runs after a batch of bounce or complaint reports is applied, so it costs one query per
 * send per batch and nothing while a send's reports are clean. Returns the sends it paused.
 */
export async function pauseOnBadSignals(
  deps: { pool: Pool; log: Logger; config: Pick<Config, 'autoPause'> },
  sendIds: Iterable<number>,
): Promise<number[]> {
  const policy = deps.config.autoPause;
  if (policy.window === 0) return [];
  const paused: number[] = [];
  for (const sendId of new Set(sendIds)) {
    const counts = await sendSignals(deps.pool, sendId, policy.window);
    const reason = autoPauseReason(counts, policy);
    if (!reason) continue;
    if (await markPaused(deps.pool, sendId, reason)) {
      paused.push(sendId);
      deps.log.error({ event: 'send.auto_paused', sendId, ...counts, reason }, 'send paused by its bounce or complaint rate');
    }
  }
  return paused;
}
