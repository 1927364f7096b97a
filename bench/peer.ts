/**
 * Runs bench/peer-worker (BullMQ + Handlebars per message + nodemailer's pool) over a list already seeded
 * for bench/send, against the same sink, and returns its sending rate.
 */
import { spawn } from 'node:child_process';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Queue } from 'bullmq';
import type { Pool } from 'pg';
import type { RedisClient } from '../src/queue/redis';
import { extractLinks, rewriteLinks } from '../src/security/tracked-links';
import { fillMarkers, marker, SUBSCRIBER_SLOTS } from '../src/render/slots';
import type { PeerJob, PeerSource } from './peer-worker';

const here = path.dirname(fileURLToPath(import.meta.url));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The issue as a Handlebars template: what a user would keep in a `.hbs` file. */
export function handlebarsSource(text: string, sendValues: { listName: string; webVersionUrl: string }): string {
  let out = fillMarkers(text.replace(/\{\{/g, '\\{{'), sendValues);
  for (const slot of SUBSCRIBER_SLOTS) out = out.split(marker(slot)).join(`{{${slot}}}`);
  return out;
}

export interface PeerInput {
  pool: Pool;
  redis: RedisClient;
  redisUrl: string;
  smtpUrl: string;
  issue: { html: string; text: string; subject: string };
  list: { id: number; slug: string; name: string };
  from: string;
  publicUrl: string;
  secret: string;
  dkim?: PeerSource['dkim'];
  workers: number;
  concurrency: number;
  poolSize: number;
  nodeOptions: string;
}

export async function runPeer(input: PeerInput): Promise<{ perSec: number; sent: number; failed: number }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tidings-peer-'));
  const prefix = `tidings-peer-${process.pid}`;
  const queueName = `peer-${input.list.slug}`;
  const queue = new Queue<PeerJob>(queueName, { connection: input.redis, prefix });
  try {
    const sendValues = { listName: input.list.name, webVersionUrl: `${input.publicUrl}/archive/x` };
    const urls = extractLinks(input.issue.html);
    const tracked = rewriteLinks(input.issue.html, new Map(urls.map((url, i) => [url, i + 1])));
    const source: PeerSource = {
      html: handlebarsSource(tracked, sendValues),
      text: handlebarsSource(input.issue.text, sendValues),
      subject: input.issue.subject, from: input.from, listId: input.list.id, listName: input.list.name, listSlug: input.list.slug,
      publicUrl: input.publicUrl, secret: input.secret, dkim: input.dkim,
    };
    const sourceFile = path.join(dir, 'source.json');
    writeFileSync(sourceFile, JSON.stringify(source));
    // The user's fan-out: every confirmed subscriber as one job, queued before the workers start (not timed).
    let after = 0;
    for (;;) {
      const { rows } = await input.pool.query<{ id: number; email: string; name: string }>(
        `SELECT s.id, s.email, s.name FROM subscriptions sub JOIN subscribers s ON s.id = sub.subscriber_id
         WHERE sub.list_id = $1 AND sub.status = 'confirmed' AND s.id > $2 ORDER BY s.id LIMIT 10000`,
        [input.list.id, after],
      );
      if (rows.length === 0) break;
      after = rows[rows.length - 1].id;
      await queue.addBulk(rows.map((r) => ({ name: 'm', data: { deliveryId: r.id, subscriberId: r.id, email: r.email, name: r.name }, opts: { removeOnComplete: true, removeOnFail: true } })));
    }
    const children = Array.from({ length: input.workers }, () =>
      spawn(process.execPath, ['--import', 'tsx', path.join(here, 'peer-worker.ts')], {
        env: {
          ...process.env, NODE_OPTIONS: input.nodeOptions, REDIS_URL: input.redisUrl, PEER_SOURCE_FILE: sourceFile, PEER_SMTP_URL: input.smtpUrl,
          PEER_POOL_SIZE: String(input.poolSize), PEER_QUEUE: queueName, PEER_PREFIX: prefix, PEER_CONCURRENCY: String(input.concurrency),
        },
        stdio: ['ignore', 'pipe', 'inherit'],
      }),
    );
    const outputs = children.map((child) => {
      let out = '';
      child.stdout!.on('data', (d) => (out += d));
      return new Promise<string>((resolve) => child.once('exit', () => resolve(out)));
    });
    for (;;) {
      const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
      if (Object.values(counts).every((n) => n === 0)) break;
      await sleep(200);
    }
    for (const child of children) child.kill('SIGTERM');
    const figures = (await Promise.all(outputs)).map((out) => JSON.parse(out.trim().split('\n').pop()!) as { first: number; last: number; sent: number; failed: number });
    const working = figures.filter((f) => f.sent > 0);
    const first = Math.min(...working.map((f) => f.first));
    const last = Math.max(...working.map((f) => f.last));
    const sent = figures.reduce((a, f) => a + f.sent, 0);
    return { perSec: Math.round(sent / ((last - first) / 1000)), sent, failed: figures.reduce((a, f) => a + f.failed, 0) };
  } finally {
    await queue.obliterate({ force: true }).catch(() => {});
    await queue.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
