import { Command, Option } from 'commander';
import { reportError } from './context';

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
const listCreateCommand = lazy(data, (m) => m.listCreateCommand);
const importCommand = lazy(data, (m) => m.importCommand);
const issueCreateCommand = lazy(data, (m) => m.issueCreateCommand);
const sendCommand = lazy(send, (m) => m.sendCommand);
const statusCommand = lazy(send, (m) => m.statusCommand);

const program = new Command('tidings')
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
  .addOption(json())
  .action(listCreateCommand);

program
  .command('import <list> <file.csv>')
  .description('import subscribers from a CSV (columns: email, name, any others become attributes)')
  .addOption(new Option('--status <status>', 'subscription status to give new subscribers').choices(['confirmed', 'unconfirmed']).default('confirmed'))
  .addOption(json())
  .action(importCommand);

const issue = program.command('issue').description('manage issues');
issue.command('create <content-file>').description('render a content file (YAML) and store it as an issue').addOption(json()).action(issueCreateCommand);

program
  .command('send <issue>')
  .description('send an issue (id or slug) to a list')
  .requiredOption('--list <slug>', 'the list to send to')
  .option('--wait', 'wait for the send to finish, with a progress bar')
  .addOption(json())
  .action(sendCommand);

program.command('status <send-id>').description('counts of a send\'s deliveries by status').addOption(json()).action(statusCommand);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  // Exit now: a command that failed half-way may still hold connections open.
  process.exit(reportError(err, process.argv.includes('--json')));
}
