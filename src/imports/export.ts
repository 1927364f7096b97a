import { Readable } from 'node:stream';
import type { Pool } from '../db/pool';
import { exportPage, type ExportRow } from '../db/export';

/** One CSV field, quoted when it holds a separator, a quote or a line break (RFC 4180). */
export function csvField(value: string): string {
  return /[",\r\n]/.test(value) || /^\s|\s$/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/**
 * Streams a list's subscriptions as CSV or JSON lines, a page at a time (keyset on subscriber id), so a
 * million-row list never sits in memory. CSV columns: email, name, status, subscribed_at, then attributes
 * as one JSON column (re-importable: `attributes:json`).
 */
export function exportList(pool: Pool, listId: number, format: 'csv' | 'jsonl', options: { status?: string; pageSize?: number } = {}): Readable {
  const pageSize = options.pageSize ?? 5000;
  let after = 0;
  let headerDone = false;
  let done = false;
  return new Readable({
    async read() {
      try {
        if (done) return;
        const parts: string[] = [];
        if (!headerDone && format === 'csv') parts.push('email,name,status,subscribed_at,attributes:json\n');
        headerDone = true;
        const rows = await exportPage(pool, listId, after, pageSize, options.status);
        for (const row of rows) parts.push(format === 'csv' ? csvLine(row) : JSON.stringify(row) + '\n');
        if (rows.length) after = rows[rows.length - 1].id;
        if (rows.length < pageSize) done = true;
        this.push(parts.join(''));
        if (done) this.push(null);
      } catch (err) {
        this.destroy(err as Error);
      }
    },
  });
}

function csvLine(row: ExportRow): string {
  return [row.email, row.name, row.status, row.subscribedAt.toISOString(), JSON.stringify(row.attributes)].map(csvField).join(',') + '\n';
}
