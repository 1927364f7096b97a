/**
 * bench/peer-worker — the pipeline a user would write without Tidings, run by bench/send against the same
 * sink and list: a BullMQ worker that renders the issue with Handlebars for each message and hands it to
 * nodemailer's pooled transport (`sendMail({ html, text, list })`). It records nothing in PostgreSQL, so it
 * is a generous peer: Tidings does more per message (claims, results, retries) and is compared to it anyway.
 *
 * Started by bench/send with PEER_* variables; on SIGTERM it prints its figures as one JSON line and exits.
 */
import { readFileSync } from 'node:fs';
import { Worker } from 'bullmq';
import Handlebars from 'handlebars';
import { Redis } from 'ioredis';
import nodemailer from 'nodemailer';
import { Links } from '../src/security/links';
import { TokenCodec } from '../src/security/tokens';

export interface PeerJob {
  deliveryId: number;
  subscriberId: number;
  email: string;
  name: string;
}

export interface PeerSource {
  html: string;
  text: string;
  subject: string;
  from: string;
  listId: number;
  listName: string;
  listSlug: string;
  publicUrl: string;
  secret: string;
  dkim?: { domainName: string; keySelector: string; privateKey: string };
}

const env = (name: string) => {
  const value = process.env[name];
  if (!value) throw new Error(`peer worker: ${name} is not set`);
  return value;
};

const source = JSON.parse(readFileSync(env('PEER_SOURCE_FILE'), 'utf8')) as PeerSource;
const html = Handlebars.compile(source.html);
const text = Handlebars.compile(source.text, { noEscape: true });
const links = new Links(source.publicUrl, new TokenCodec(source.secret));
const smtp = new URL(env('PEER_SMTP_URL'));
const transport = nodemailer.createTransport({
  pool: true,
  host: smtp.hostname,
  port: Number(smtp.port),
  secure: false,
  ignoreTLS: true,
  maxConnections: Number(env('PEER_POOL_SIZE')),
  maxMessages: 1000,
  ...(source.dkim ? { dkim: source.dkim } : {}),
});

let first = 0;
let last = 0;
let sent = 0;
let failed = 0;
const connection = new Redis(env('REDIS_URL'), { maxRetriesPerRequest: null });
const worker = new Worker<PeerJob>(
  env('PEER_QUEUE'),
  async (job) => {
    if (!first) first = Date.now();
    const { deliveryId, subscriberId, email, name } = job.data;
    const values = {
      name,
      unsubscribeUrl: links.unsubscribe(subscriberId, source.listId, deliveryId),
      openPixelUrl: links.openPixel(deliveryId),
      clickBase: links.clickBase(deliveryId),
    };
    await transport.sendMail({
      from: source.from,
      to: { name, address: email },
      subject: source.subject,
      html: html(values),
      text: text(values),
      list: { id: { url: `${source.listSlug}.list-id.example.com`, comment: source.listName }, unsubscribe: { url: values.unsubscribeUrl, comment: 'Unsubscribe' } },
      headers: { 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click', Precedence: 'bulk' },
    });
  },
  { connection, prefix: env('PEER_PREFIX'), concurrency: Number(env('PEER_CONCURRENCY')) },
);
worker.on('completed', () => {
  sent++;
  last = Date.now();
});
worker.on('failed', () => failed++);
worker.on('error', () => {});

process.once('SIGTERM', async () => {
  await worker.close();
  transport.close();
  await connection.quit();
  process.stdout.write(`${JSON.stringify({ first, last, sent, failed })}\n`);
  process.exit(0);
});
