import { Command, Option } from 'commander';
import { LANGUAGES } from '../i18n/languages';

// Each command loads its modules when it runs: `--help` or `status` should not pay for MJML and BullMQ.
/* eslint-disable @typescript-eslint/no-explicit-any */
const lazy =
  <M,>(load: () => Promise<M>, pick: (m: M) => (...args: any[]) => Promise<void>) =>
  async (...args: any[]) =>
    pick(await load())(...args);
const run = () => import('./commands/run');
const data = () => import('./commands/data');
const send = () => import('./commands/send');
const migrateCommand = lazy(run, (m) => m.migrateCommand);
const serveCommand = lazy(run, (m) => m.serveCommand);
const workerCommand = lazy(run, (m) => m.workerCommand);
const demoCommand = lazy(() => import('./demo'), (m) => m.demoCommand);
const captureCommand = lazy(() => import('./commands/capture'), (m) => m.captureCommand);
const importCommand = lazy(data, (m) => m.importCommand);
const exportCommand = lazy(data, (m) => m.exportCommand);
const ops = () => import('./commands/ops');
const statsCommand = lazy(ops, (m) => m.statsCommand);
const bouncesIngestCommand = lazy(ops, (m) => m.bouncesIngestCommand);
const inbound = () => import('./commands/inbound');
const inboundCommand = lazy(inbound, (m) => m.inboundCommand);
const inboundMessagesCommand = lazy(inbound, (m) => m.inboundMessagesCommand);
const suppressionsListCommand = lazy(ops, (m) => m.suppressionsListCommand);
const suppressionsAddCommand = lazy(ops, (m) => m.suppressionsAddCommand);
const suppressionsRemoveCommand = lazy(ops, (m) => m.suppressionsRemoveCommand);
const sendCommand = lazy(send, (m) => m.sendCommand);
const statusCommand = lazy(() => import('./commands/status'), (m) => m.statusCommand);
const dkimKeygenCommand = lazy(() => import('./commands/dkim'), (m) => m.dkimKeygenCommand);
const listTrackingCommand = lazy(() => import('./commands/tracking'), (m) => m.listTrackingCommand);
const lists = () => import('./commands/lists');
const listArchiveCommand = lazy(lists, (m) => m.listArchiveCommand);
const listCreateCommand = lazy(lists, (m) => m.listCreateCommand);
const listSetCommand = lazy(lists, (m) => m.listSetCommand);
const listLsCommand = lazy(lists, (m) => m.listLsCommand);
const issueLsCommand = lazy(lists, (m) => m.issueLsCommand);
const issueTools = () => import('./commands/issue-tools');
const previewCommand = lazy(issueTools, (m) => m.previewCommand);
const testSendCommand = lazy(issueTools, (m) => m.testSendCommand);
const controlCommand = lazy(send, (m) => m.controlCommand);
const issueFiles = () => import('./commands/issue-files');
const issueCreateCommand = lazy(issueFiles, (m) => m.issueCreateCommand);
const issueCheckCommand = lazy(issueFiles, (m) => m.issueCheckCommand);
const mediaAddCommand = lazy(issueFiles, (m) => m.mediaAddCommand);
const templateListCommand = lazy(issueFiles, (m) => m.templateListCommand);
const templateCheckCommand = lazy(issueFiles, (m) => m.templateCheckCommand);
const listIssueDefaultsCommand = lazy(issueFiles, (m) => m.listSetCommand);
const users = () => import('./commands/users');
const retentionRunCommand = lazy(() => import('./commands/retention'), (m) => m.retentionRunCommand);

/** The `tidings` command tree; main.ts parses it, test/readme-truth.test.ts reads it. */
export const program = new Command('tidings')
  .description('Self-hosted newsletter delivery: render once, queue one job per subscriber, send fast, lose nothing.')
  .showHelpAfterError()
  .configureHelp({ sortSubcommands: false });

const json = () => new Option('--json', 'print one JSON object (with the id) as the last line of stdout');

program.command('migrate').description('create the database if needed and apply pending migrations').addOption(json()).action(migrateCommand);
program.command('serve').description('run the HTTP server (unsubscribe, open pixel, web version, health)').action(serveCommand);
program
  .command('worker')
  .description('run the fan-out and send workers (SIGTERM finishes the jobs in flight)')
  .option('--concurrency <n>', 'deliver jobs in flight per process (default WORKER_CONCURRENCY)')
  .action(workerCommand);
program
  .command('capture')
  .description('run a local SMTP server that files every message it receives under outbox/<send-id>/<n>.eml')
  .option('--port <port>', 'port on 127.0.0.1 (0 picks a free one)', '2525')
  .option('--outbox <dir>', 'where to file messages (default OUTBOX_DIR)')
  .addOption(json())
  .action(captureCommand);
program
  .command('demo')
  .description('send the sample issue to a generated list of 1,000 through a local capture server')
  .option('--serve', 'keep the HTTP server up afterwards so the printed links can be clicked')
  .option('--subscribers <n>', 'size of the generated demo list', '1000')
  .addOption(json())
  .action(demoCommand);

const list = program.command('list').description('manage lists');
list
  .command('create <slug>')
  .description('create a list')
  .requiredOption('--name <name>', 'the name readers see')
  .option('--double-opt-in', 'new subscribers must confirm by email')
  .addOption(new Option('--language <tag>', "the readers' language: pages and the emails' fixed strings").choices(LANGUAGES).default('en'))
  .option('--from <mailbox>', 'the From of its emails, e.g. "ML UTD 周刊 <weekly@example.com>" (default MAIL_FROM)')
  .addOption(json())
  .action(listCreateCommand);
list
  .command('set <slug>')
  .description("change a list (name, language, From, double opt-in, public archive) and what its issues may leave out (an issue's front matter overrides; an empty value clears)")
  .option('--name <name>', 'the name readers see')
  .addOption(new Option('--language <tag>', "the readers' language").choices(LANGUAGES))
  .option('--from <mailbox>', 'the From of its emails, "Name <address>"; "" for MAIL_FROM')
  .addOption(new Option('--double-opt-in <on|off>', 'new subscribers must confirm by email').choices(['on', 'off']))
  .addOption(new Option('--archive <on|off>', 'its sent issues in the public archive').choices(['on', 'off']))
  .option('--template <name>', 'the template set (see `tidings template list`)')
  .option('--postal-address <text>', 'the postal address every message must carry')
  .option('--default-name <text>', 'how the greeting names a subscriber without a name')
  .addOption(json())
  .action(async (slug: string, opts: { template?: string; postalAddress?: string; defaultName?: string; json?: boolean }) => {
    const { template, postalAddress, defaultName, ...settings } = opts;
    const defaults = template !== undefined || postalAddress !== undefined || defaultName !== undefined;
    const listSettings = Object.keys(settings).some((k) => k !== 'json');
    if (defaults) await listIssueDefaultsCommand(slug, { template, postalAddress, defaultName, json: opts.json });
    if (listSettings || !defaults) await listSetCommand(slug, settings);
  });
list.command('ls').description('every list: subscriptions by status, language, From, settings').addOption(json()).action(listLsCommand);
list
  .command('tracking <slug> <on|off>')
  .description('switch the open pixel and tracked links of a list on or off')
  .addOption(json())
  .action(listTrackingCommand);
list
  .command('archive <slug> <on|off>')
  .description('switch the public archive of a list (web versions, /archive, the Atom feed) on or off')
  .addOption(json())
  .action(listArchiveCommand);

program
  .command('import <list> <file>')
  .description('import subscribers from a CSV or another service\'s export (Mailchimp, Substack, listmonk, Ghost, Kit, Buttondown, beehiiv), keeping who left, bounced or complained')
  .addOption(new Option('--from <service>', 'the export\'s shape (default: recognised from the header)').choices(['mailchimp', 'substack', 'listmonk', 'ghost', 'kit', 'buttondown', 'beehiiv', 'csv']))
  .addOption(new Option('--status <status>', 'subscription status of rows the file gives none').choices(['confirmed', 'unconfirmed']).default('confirmed'))
  .option('--encoding <encoding>', 'the file\'s text encoding (default: detected; utf-8, gb18030, shift_jis, windows-1252, utf-16le)')
  .option('--dry-run', 'read and check the whole file and print what would happen (counts by status, first rejections), writing nothing')
  .option('--resume <import-id>', 'continue an interrupted import of the same file after its last committed line')
  .addOption(json())
  .action(importCommand);

program
  .command('export <list>')
  .description('stream a list out as CSV (email, name, status, subscribed_at, attributes) or JSON lines')
  .addOption(new Option('--format <format>', 'output format').choices(['csv', 'jsonl']).default('csv'))
  .addOption(new Option('--status <status>', 'only subscriptions with this status').choices(['confirmed', 'unconfirmed', 'unsubscribed']))
  .option('-o, --output <file>', 'write to a file instead of stdout')
  .action(exportCommand);

program
  .command('stats <send-id>')
  .description('statistics of a send: deliveries, bounces, complaints, unsubscribes, opens, clicks per link, over time')
  .addOption(json())
  .action(statsCommand);

const retention = program.command('retention').description('EVENT_RETENTION_DAYS and DELIVERY_RETENTION_DAYS (the worker runs it daily)');
retention
  .command('run')
  .description('create events partitions ahead, drop the partitions past retention (their counts stay per send)')
  .addOption(json())
  .action(retentionRunCommand);

const bounces = program.command('bounces').description('bounce and complaint reports');
bounces
  .command('ingest <path>')
  .description('apply DSN (RFC 3464) and ARF (RFC 5965) messages from an .eml file or a folder of them')
  .addOption(json())
  .action(bouncesIngestCommand);
bounces
  .command('messages')
  .description('what reached the bounce mailbox (tidings inbound), newest first; --raw <id> prints one as it arrived')
  .addOption(new Option('--outcome <outcome>', 'only this outcome').choices(['applied', 'ignored', 'unrecognised', 'malformed']))
  .option('--limit <n>', 'how many', '50')
  .option('--raw <id>', 'print this message as it arrived')
  .addOption(json())
  .action(inboundMessagesCommand);
program
  .command('inbound')
  .description('the bounce mailbox: SMTP for bounce+<token>@BOUNCE_DOMAIN (INBOUND_PORT) and/or IMAP polling of BOUNCE_MAILBOX')
  .action(inboundCommand);

const suppressions = program.command('suppressions').description('the global suppression list every send honours');
suppressions
  .command('list')
  .description('suppressed addresses, newest first, and recent sender problems (5.7.x)')
  .addOption(new Option('--reason <reason>', 'only this reason').choices(['hard_bounce', 'soft_bounce', 'complaint', 'manual']))
  .option('--search <text>', 'addresses containing this text')
  .option('--limit <n>', 'how many', '100')
  .addOption(json())
  .action(suppressionsListCommand);
suppressions.command('add <email>').description('suppress an address by hand').addOption(json()).action(suppressionsAddCommand);
suppressions.command('remove <email>').description('remove an address from the suppression list (the subscriber becomes active)').addOption(json()).action(suppressionsRemoveCommand);

const webhooks = () => import('./commands/webhooks');
const webhook = program.command('webhook').description('outgoing webhooks: endpoints that receive events (signed POSTs)');
webhook
  .command('add <url>')
  .description('register an endpoint; prints its signing secret')
  .requiredOption('--events <list>', 'comma-separated: delivery.sent, delivery.failed, open, click, unsubscribe, bounce, complaint, subscriber.created, subscriber.confirmed, or * for all')
  .option('--description <text>', 'what it is for')
  .addOption(json())
  .action(lazy(webhooks, (m) => m.webhookAddCommand));
webhook.command('ls').description('endpoints with their health').addOption(json()).action(lazy(webhooks, (m) => m.webhookLsCommand));
webhook.command('rm <id>').description('remove an endpoint').addOption(json()).action(lazy(webhooks, (m) => m.webhookRmCommand));
webhook.command('failures <id>').description('an endpoint\'s recent failed attempts').option('--limit <n>', 'how many', '20').addOption(json()).action(lazy(webhooks, (m) => m.webhookFailuresCommand));

const issue = program.command('issue').description('manage issues');
issue.command('ls').description('the issues, newest first, with their sends').option('--limit <n>', 'how many', '50').addOption(json()).action(issueLsCommand);
issue
  .command('create <content-file>')
  .description('render a content file (Markdown .md or YAML), upload the local images it names, and store it as an issue')
  .option('--list <slug>', 'take the settings the file leaves out (template, postal address, default name) from this list')
  .addOption(json())
  .action(issueCreateCommand);
issue
  .command('check <content-file>')
  .description('report every problem of a content file (Markdown or YAML) in one run (exit code 1 when it could not be sent)')
  .option('--list <slug>', 'take the settings the file leaves out from this list')
  .option('--templates <dir>', 'a templates folder other than templates/')
  .addOption(json())
  .action(issueCheckCommand);

const media = program.command('media').description('images for issues (the media store under MEDIA_DIR, served at /media/)');
media.command('add <file>').description('check and store a PNG, JPEG, GIF or WebP image and print its public URL').addOption(json()).action(mediaAddCommand);

const template = program.command('template').description('template sets (folders under templates/)');
template.command('list').description('the template sets and what each is for').option('--templates <dir>', 'a templates folder other than templates/').addOption(json()).action(templateListCommand);
template
  .command('check <name>')
  .description('compile every file of a template set in strict mode and render it; errors name file and line')
  .option('--templates <dir>', 'a templates folder other than templates/')
  .addOption(json())
  .action(templateCheckCommand);

program
  .command('preview <issue>')
  .description('write the HTML, text, .eml and 375/700 px screenshots of one personalised message (issue id, slug or content file)')
  .option('--out <dir>', 'where to write the files', 'preview')
  .option('--list <slug>', 'the list named in the footer')
  .option('--name <name>', 'the subscriber name to greet (default: the issue\'s default_name)')
  .option('--chromium <path>', 'the Chromium executable (default: /usr/bin/chromium)')
  .addOption(json())
  .action(previewCommand);

program
  .command('send <issue>')
  .description('send an issue (id or slug) to a list, or one test message with --test')
  .option('--list <slug>', 'the list to send to (required unless --test)')
  .option('--test <email>', 'send one personalised test message to this address only (no send is created)')
  .option('--wait', 'wait for the send to finish, with a progress bar')
  .option('--at <time>', 'start at this ISO 8601 time (e.g. 2026-12-01T08:00:00Z); a past time starts now')
  .option('--again', 'send even though this issue already went (or is going) to this list; who received it is skipped')
  .option('--include-previous', 'with --again: also send to subscribers who received the issue before')
  .addOption(json())
  .action((issueRef: string, opts: { list?: string; test?: string }, cmd: Command) => {
    if (opts.test) return testSendCommand(issueRef, opts);
    if (!opts.list) cmd.error("error: required option '--list <slug>' not specified (or --test <email> for one test message)");
    return sendCommand(issueRef, opts);
  });

for (const [action, description] of [
  ['pause', 'pause a send: no new message starts until it is resumed'],
  ['resume', 'resume a paused send, or queue a running send\'s remaining deliveries again from PostgreSQL (after Redis lost them)'],
  ['cancel', 'cancel a send: deliveries not yet sent become cancelled'],
  ['retry', 'queue again the deliveries that failed for a temporary or sender-side reason'],
] as const) {
  program
    .command(`${action} <send-id>`)
    .description(description)
    .addOption(json())
    .action((sendId: string, opts: { json?: boolean }) => controlCommand(action, sendId, opts));
}

program.command('status <send-id>').description('counts of a send\'s deliveries by status').addOption(json()).action(statusCommand);

const user = program.command('user').description('operator accounts (the people using the app and the API)');
user
  .command('create <email>')
  .description('add an operator and print a set-password link (or a one-time password); the first operator is an owner')
  .addOption(new Option('--role <role>', 'what they may do').choices(['owner', 'editor', 'viewer']))
  .option('--name <name>', 'their name, as the audit log shows it')
  .option('--password', 'print a one-time password instead of a set-password link')
  .addOption(json())
  .action(lazy(users, (m) => m.userCreateCommand));
user.command('password-link <email>').description('print a new set-password link for an operator').addOption(json()).action(lazy(users, (m) => m.userPasswordLinkCommand));
user.command('list').description('every operator with their role').addOption(json()).action(lazy(users, (m) => m.userListCommand));

const dkim = program.command('dkim').description('DKIM signing keys');
dkim
  .command('keygen')
  .description('write a new DKIM key pair and print the DNS TXT record to publish')
  .requiredOption('--domain <domain>', 'the signing domain (d=)')
  .requiredOption('--selector <selector>', 'the selector (s=)')
  .addOption(new Option('--type <type>', 'key type').choices(['rsa', 'ed25519']).default('rsa'))
  .option('--out <dir>', 'where to write the private key', 'dkim')
  .addOption(json())
  .action(dkimKeygenCommand);
