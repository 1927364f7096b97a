import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../config';
import type { Logger } from '../log';
import type { Pool } from '../db/pool';
import { applyBounceReports, type AppliedReport } from './apply';
import { parseReportMessage, type ReportMessageType } from './report-message';

export interface IngestedFile {
  file: string;
  type: ReportMessageType | 'error';
  results: AppliedReport[];
  note?: string;
}

/** The .eml files a path names: the file itself, or every .eml file in the folder (not recursive), sorted. */
export async function reportFiles(target: string): Promise<string[]> {
  const info = await stat(target);
  if (!info.isDirectory()) return [target];
  const names = (await readdir(target)).filter((name) => name.toLowerCase().endsWith('.eml')).sort();
  return names.map((name) => path.join(target, name));
}

/**
 * Ingests DSN and ARF messages from files. Each message is applied on its own; one that cannot be parsed is
 * reported and the others still land. A file ingested twice changes nothing the second time (its Message-ID is
 * the event id).
 */
export async function ingestReportFiles(deps: { pool: Pool; log: Logger; config: Pick<Config, 'autoPause'> }, target: string): Promise<IngestedFile[]> {
  const files = await reportFiles(target);
  const out: IngestedFile[] = [];
  for (const file of files) {
    try {
      const parsed = await parseReportMessage(await readFile(file));
      const results = await applyBounceReports(deps, parsed.reports);
      out.push({ file, type: parsed.type, results, note: parsed.firstLines ? `${parsed.note}; it begins: ${parsed.firstLines.join(' | ')}` : parsed.note });
      deps.log.info({ event: 'bounce.ingested', file, type: parsed.type, reports: results.length }, 'report message ingested');
    } catch (err) {
      deps.log.warn({ event: 'bounce.ingest_failed', file, err }, 'could not ingest a report message');
      out.push({ file, type: 'error', results: [], note: (err as Error).message });
    }
  }
  return out;
}
