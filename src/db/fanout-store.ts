import { countRecipients, createDeliveryPage } from './deliveries';
import { finishFanoutRange, getFanoutRange, planFanoutRanges, setFanoutRangeCursor } from './fanout-ranges';
import { inTransaction, type Pool } from './pool';
import { finishSendsIfDone, getSend, getSendStatus, markFannedOut, setFanoutCursor, setSendTotal, transitionSend } from './sends';
import type { SegmentDefinition } from '../segments/definition';
import type { SendStatus } from './states';

/** The fan-out's store (FanoutStore in workers/fanout.ts) over PostgreSQL: its named queries on one pool. */
export function createFanoutStore(pool: Pool) {
  return {
    getSend: (sendId: number) => getSend(pool, sendId),
    getSendStatus: (sendId: number) => getSendStatus(pool, sendId),
    countRecipients: (listId: number, segment: SegmentDefinition | null) => countRecipients(pool, listId, segment),
    setSendTotal: (sendId: number, total: number) => setSendTotal(pool, sendId, total),
    transitionSend: (sendId: number, from: readonly SendStatus[], to: SendStatus) => transitionSend(pool, sendId, from, to),
    createDeliveryPage: (sendId: number, listId: number, afterSubscriberId: number, pageSize: number, segment: SegmentDefinition | null, until?: number) =>
      inTransaction(pool, (client) => createDeliveryPage(client, sendId, listId, afterSubscriberId, pageSize, segment, until)),
    setFanoutCursor: (sendId: number, cursor: number) => setFanoutCursor(pool, sendId, cursor, 0),
    planFanoutRanges: (sendId: number, listId: number, parts: number) => planFanoutRanges(pool, sendId, listId, parts),
    getFanoutRange: (sendId: number, rangeNo: number) => getFanoutRange(pool, sendId, rangeNo),
    setFanoutRangeCursor: (sendId: number, rangeNo: number, cursor: number) => setFanoutRangeCursor(pool, sendId, rangeNo, cursor),
    finishFanoutRange: (sendId: number, rangeNo: number) => finishFanoutRange(pool, sendId, rangeNo),
    markFannedOut: (sendId: number) => markFannedOut(pool, sendId),
    finishSendsIfDone: (sendIds: number[]) => finishSendsIfDone(pool, sendIds),
  };
}
