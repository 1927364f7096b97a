import { parseMailbox } from '../../config';
import { setListArchive } from '../../db/archive';
import { listIssues } from '../../db/issue-list';
import { createList, getListWithCounts, listListsWithCounts, updateList, type ListSettings } from '../../db/lists';
import { TidingsError } from '../../errors';
import { commandContext, output, withPool } from '../context';

/** `on` or `off` as a boolean, or a message naming the setting. */
export function onOff(setting: string, state: string): boolean {
  if (state !== 'on' && state !== 'off') throw new TidingsError('INVALID_INPUT', `${setting} must be 'on' or 'off', got '${state}'`);
  return state === 'on';
}

interface ListOptions {
  name?: string;
  language?: string;
  from?: string;
  doubleOptIn?: boolean | string;
  archive?: string;
}

/** The command line's list settings as the store takes them: `--from "Name <a@b>"` is both From parts, '' resets them. */
export function listSettingsFromOptions(opts: ListOptions): ListSettings {
  const settings: ListSettings = {};
  if (opts.name !== undefined) settings.name = opts.name;
  if (opts.language !== undefined) settings.language = opts.language;
  if (opts.from !== undefined) {
    const from = opts.from.trim() ? parseMailbox(opts.from) : { name: '', address: '' };
    settings.fromName = from.name;
    settings.fromAddress = from.address;
  }
  if (typeof opts.doubleOptIn === 'boolean') settings.doubleOptIn = opts.doubleOptIn;
  else if (opts.doubleOptIn !== undefined) settings.doubleOptIn = onOff('--double-opt-in', opts.doubleOptIn);
  if (opts.archive !== undefined) settings.publicArchive = onOff('--archive', opts.archive);
  return settings;
}

const senderOf = (l: { fromName: string | null; fromAddress: string | null }) =>
  l.fromAddress ? (l.fromName ? `${l.fromName} <${l.fromAddress}>` : l.fromAddress) : l.fromName ? `${l.fromName} <MAIL_FROM>` : 'MAIL_FROM';

/** `tidings list create <slug> --name … [--language zh-CN] [--from "Name <a@b>"] [--double-opt-in]`. */
export async function listCreateCommand(slug: string, opts: ListOptions & { name: string; json?: boolean }): Promise<void> {
  const ctx = commandContext({ ...opts, quiet: true });
  await withPool(ctx, async (pool) => {
    const list = await createList(pool, { slug, name: opts.name, ...listSettingsFromOptions({ ...opts, name: undefined }) });
    output(ctx, { ...list }, [
      `created list ${list.slug} (id ${list.id}): ${list.name}, language ${list.language}, from ${senderOf(list)}${list.doubleOptIn ? ', double opt-in' : ''}`,
    ]);
  });
}

/** `tidings list set <slug> [--name] [--language] [--from] [--double-opt-in on|off] [--archive on|off]`. */
export async function listSetCommand(slug: string, opts: ListOptions & { json?: boolean }): Promise<void> {
  const ctx = commandContext({ ...opts, quiet: true });
  const settings = listSettingsFromOptions(opts);
  if (Object.keys(settings).length === 0) {
    throw new TidingsError('INVALID_INPUT', 'nothing to change: give --name, --language, --from, --double-opt-in on|off, --archive on|off, --template, --postal-address or --default-name');
  }
  await withPool(ctx, async (pool) => {
    await updateList(pool, slug, settings);
    const list = await getListWithCounts(pool, slug);
    output(ctx, { ...list }, [
      `list ${list.slug}: ${list.name}, language ${list.language}, from ${senderOf(list)}, double opt-in ${list.doubleOptIn ? 'on' : 'off'}, public archive ${list.publicArchive ? 'on' : 'off'}`,
    ]);
  });
}

/** `tidings list archive <slug> on|off`: whether the issues sent to a list are in the public archive. */
export async function listArchiveCommand(slug: string, state: string, opts: { json?: boolean }): Promise<void> {
  const on = onOff('archive', state);
  const ctx = commandContext({ ...opts, quiet: true });
  await withPool(ctx, async (pool) => {
    await setListArchive(pool, slug, on);
    const base = ctx.config.publicUrl;
    output(ctx, { id: slug, slug, publicArchive: on }, [
      on
        ? `the public archive of list ${slug} is on: its sent issues are at ${base}/archive?list=${slug} and ${base}/archive/feed.xml?list=${slug}`
        : `the public archive of list ${slug} is off: the web versions of its issues answer 404`,
    ]);
  });
}

/** `tidings list ls`: every list with its subscriptions by status and its settings. */
export async function listLsCommand(opts: { json?: boolean }): Promise<void> {
  const ctx = commandContext({ ...opts, quiet: true });
  await withPool(ctx, async (pool) => {
    const lists = await listListsWithCounts(pool);
    const rows = lists.map((l) =>
      [l.slug, String(l.subscriptions.confirmed), String(l.subscriptions.unconfirmed), String(l.subscriptions.unsubscribed), l.language,
        [l.doubleOptIn ? 'double opt-in' : '', l.publicArchive ? '' : 'archive off'].filter(Boolean).join(', ') || '-', senderOf(l), l.name]);
    output(ctx, { id: null, lists }, lists.length ? table(['list', 'confirmed', 'unconfirmed', 'left', 'language', 'settings', 'from', 'name'], rows) : ['no lists yet: tidings list create <slug> --name "…"']);
  });
}

/** `tidings issue ls`: the issues, newest first, with their sends. */
export async function issueLsCommand(opts: { limit?: string; json?: boolean }): Promise<void> {
  const ctx = commandContext({ ...opts, quiet: true });
  const limit = opts.limit === undefined ? 50 : Number(opts.limit);
  if (!Number.isInteger(limit) || limit < 1) throw new TidingsError('INVALID_INPUT', `--limit must be a positive whole number, got '${opts.limit}'`);
  await withPool(ctx, async (pool) => {
    const issues = await listIssues(pool, limit);
    const lines: string[] = [];
    for (const issue of issues) {
      lines.push(`${String(issue.id).padStart(5)}  ${issue.slug}  “${issue.subject}”${issue.sends.length ? '' : '  (never sent)'}`);
      for (const send of issue.sends) {
        const when = send.status === 'scheduled' && send.scheduledAt ? ` for ${new Date(send.scheduledAt).toISOString()}` : send.startedAt ? ` ${new Date(send.startedAt).toISOString().slice(0, 16).replace('T', ' ')}` : '';
        lines.push(`         send ${send.id} → ${send.list}: ${send.status}${when}, ${send.sent} of ${send.total} sent`);
      }
    }
    output(ctx, { id: null, issues }, lines.length ? lines : ['no issues yet: tidings issue create <file>']);
  });
}

/** Columns padded to their widest cell. */
function table(head: string[], rows: string[][]): string[] {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  return [head, ...rows].map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]))).join('  '));
}
