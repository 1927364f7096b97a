import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createMailer, onShutdownSignal } from '../app/runtime';
import { demoOperatorLogin } from '../auth/accounts';
import { startHttp } from '../http/server';
import { createServices } from '../app/services';
import { firstSentDelivery } from '../db/deliveries';
import { migrate } from '../db/migrate';
import { createList, findListBySlug } from '../db/lists';
import { ensureDatabase, inTransaction } from '../db/pool';
import { countSubscriptions, upsertSubscribers } from '../db/subscribers';
import { isTidingsError } from '../errors';
import { createIssueFromFile } from '../issues/create-issue';
import { startSend } from '../send/start-send';
import { startWorkers } from '../../workers/index';
import { commandContext, output } from './context';
import { printWarnings } from './preflight-warnings';
import { demoSubscribers } from './demo-data';
import { waitForSend } from './progress';

export const SAMPLE_ISSUE = fileURLToPath(new URL('../../content/ml-utd-32.yaml', import.meta.url));

/**
 * `tidings demo`: the whole path on this machine. Database and schema, the `demo` list with generated
 * subscribers, the sample issue, a capture SMTP server (unless SMTP_URL is set), the HTTP server and the
 * workers; then one send of the issue to the list, with a progress bar and a summary.
 */
export async function demoCommand(opts: { serve?: boolean; subscribers: string; json?: boolean }): Promise<void> {
  const ctx = commandContext({ ...opts, quiet: true });
  const size = Number(opts.subscribers);
  if (!Number.isInteger(size) || size < 1) throw new Error(`--subscribers must be a positive integer, got '${opts.subscribers}'`);
  const say = (line: string) => {
    if (!ctx.json) process.stdout.write(line + '\n');
  };

  await ensureDatabase(ctx.config.databaseUrl);
  const services = createServices(ctx.config, ctx.log);
  const { pool, config, links } = services;
  await migrate(pool);
  say(`database ready (${new URL(config.databaseUrl).pathname.slice(1)}), migrations applied`);

  // The sample is Chinese: its readers' pages and the fixed strings of its emails are too.
  const list = (await findListBySlug(pool, 'demo')) ?? (await createList(pool, { slug: 'demo', name: 'ML UTD 演示 (demo)', language: 'zh-CN' }));
  const people = demoSubscribers(size);
  for (let i = 0; i < people.length; i += 500) {
    await inTransaction(pool, (client) => upsertSubscribers(client, list.id, people.slice(i, i + 500), 'confirmed'));
  }
  const counts = await countSubscriptions(pool, list.id);
  say(`list '${list.slug}' ready: ${counts.confirmed} confirmed subscribers (${size} generated ones ensured)`);

  // An issue that was sent never changes. When the sample or the templates changed since the last demo,
  // the new rendering is stored under a slug of its own.
  const issue = await createIssueFromFile(pool, SAMPLE_ISSUE, { assetBaseUrl: config.assetBaseUrl })
    .catch((err: unknown) => {
      if (!(isTidingsError(err) && err.code === 'INVALID_INPUT')) throw err;
      return createIssueFromFile(pool, SAMPLE_ISSUE, { assetBaseUrl: config.assetBaseUrl, slug: (c, hash) => `${c.slug}-${hash.slice(0, 8)}` });
    })
    .then((result) => result.issue);
  say(`issue '${issue.slug}' rendered (${Math.round(Buffer.byteLength(issue.html) / 1024)} KB of HTML)`);

  const { mailer, capture, description } = await createMailer(config, ctx.log);
  const http = await startHttp(services, config.port);
  const workers = await startWorkers(services, mailer, { concurrency: config.workerConcurrency });
  say(`sending through ${description}`);

  const started = Date.now();
  const { send, warnings } = await startSend(services, issue.id, list.slug, { again: true, includePrevious: true });
  printWarnings(warnings);
  const outcome = await waitForSend(services, send.id, { bar: !ctx.json && Boolean(process.stderr.isTTY), startedAt: started });
  const sample = await firstSentDelivery(pool, send.id);
  const tryLinks = {
    webVersion: links.webVersion(issue.slug),
    unsubscribe: sample ? links.unsubscribe(sample.subscriberId, list.id, sample.id) : null,
    openPixel: sample ? links.openPixel(sample.id) : null,
  };
  const rate = outcome.counts.sent / outcome.seconds;
  const outbox = capture ? path.join(path.relative(process.cwd(), path.resolve(config.outboxDir)) || '.', String(send.id)) : null;
  output(
    ctx,
    { id: send.id, status: outcome.send.status, sent: outcome.counts.sent, failed: outcome.counts.failed, seconds: outcome.seconds, emailsPerSecond: rate, outbox, links: tryLinks },
    [
      '',
      `Send ${send.id} ${outcome.send.status}: ${issue.subject} → ${list.name}`,
      `  sent        ${outcome.counts.sent}`,
      `  failed      ${outcome.counts.failed}`,
      `  duration    ${outcome.seconds.toFixed(2)} s`,
      `  rate        ${rate.toFixed(0)} emails/s`,
      outbox ? `  emails in   ${outbox}/ (one .eml file per message)` : `  emails went to ${description}`,
      '',
      'Try these links' + (opts.serve ? ' (the server is up; Ctrl-C stops it):' : ' (run `npm run demo -- --serve` to keep the server up):'),
      `  web version   ${tryLinks.webVersion}`,
      `  unsubscribe   ${tryLinks.unsubscribe ?? '(no message was sent)'}`,
      `  open pixel    ${tryLinks.openPixel ?? '(no message was sent)'}`,
    ],
  );

  if (opts.serve) {
    // The workers stay up with the server: a send started from the served links or the API goes out.
    say('The workers keep running: a send started now (tidings send, POST /api/sends) is processed.');
    const login = await demoOperatorLogin(pool, 'demo@tidings.localhost');
    say('');
    say(`Operator app   ${config.publicUrl}/admin`);
    say(`  log in as    ${login.email}`);
    say(`  password     ${login.password}   (new on every demo run)`);
    onShutdownSignal(ctx.log, async () => {
      await http.close();
      await workers.close();
      await services.close();
    });
    return;
  }
  await workers.close();
  await http.close();
  await services.close();
  if (outcome.counts.failed > 0 || outcome.send.status !== 'finished') process.exitCode = 1;
}
