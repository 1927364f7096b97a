import { setListTracking } from '../../db/lists';
import { TidingsError } from '../../errors';
import { commandContext, output, withServices } from '../context';

/** `tidings list tracking <slug> on|off`: the open pixel and tracked links of a list's next sends. */
export async function listTrackingCommand(slug: string, state: string, opts: { json?: boolean }): Promise<void> {
  if (state !== 'on' && state !== 'off') throw new TidingsError('INVALID_INPUT', `tracking must be 'on' or 'off', got '${state}'`);
  const ctx = commandContext({ ...opts, quiet: true });
  await withServices(ctx, async ({ pool }) => {
    await setListTracking(pool, slug, state === 'on');
    output(ctx, { slug, tracking: state === 'on', id: slug }, [`tracking is ${state} for list ${slug} (sends started from now on)`]);
  });
}
