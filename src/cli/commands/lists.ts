import { setListArchive } from '../../db/archive';
import { TidingsError } from '../../errors';
import { commandContext, output, withServices } from '../context';

/** `on` or `off` as a boolean, or a message naming the setting. */
export function onOff(setting: string, state: string): boolean {
  if (state !== 'on' && state !== 'off') throw new TidingsError('INVALID_INPUT', `${setting} must be 'on' or 'off', got '${state}'`);
  return state === 'on';
}

/** `tidings list archive <slug> on|off`: whether the issues sent to a list are in the public archive. */
export async function listArchiveCommand(slug: string, state: string, opts: { json?: boolean }): Promise<void> {
  const on = onOff('archive', state);
  const ctx = commandContext({ ...opts, quiet: true });
  await withServices(ctx, async (services) => {
    await setListArchive(services.pool, slug, on);
    output(ctx, { id: slug, slug, publicArchive: on }, [
      on
        ? `the public archive of list ${slug} is on: its sent issues are at ${services.links.archive(slug)} and ${services.links.archiveFeed(slug)}`
        : `the public archive of list ${slug} is off: the web versions of its issues answer 404`,
    ]);
  });
}
