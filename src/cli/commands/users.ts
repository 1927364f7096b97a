import { createOperatorAccount, issuePasswordLink } from '../../auth/accounts';
import { isRole } from '../../auth/roles';
import { findOperatorByEmail, listOperators } from '../../db/operators';
import { NotFoundError, TidingsError } from '../../errors';
import { commandContext, output, withServices } from '../context';

/** `tidings user create <email> [--role] [--password]`: an operator account; the first one is the owner. */
export async function userCreateCommand(email: string, opts: { role?: string; name?: string; password?: boolean; json?: boolean }): Promise<void> {
  if (opts.role !== undefined && !isRole(opts.role)) throw new TidingsError('INVALID_INPUT', `--role must be owner, editor or viewer, got '${opts.role}'`);
  const ctx = commandContext({ ...opts, quiet: true });
  await withServices(ctx, async ({ pool, config }) => {
    const created = await createOperatorAccount(pool, config.publicUrl, { email, name: opts.name, role: opts.role as never, withPassword: opts.password });
    const { operator } = created;
    const first = operator.role === 'owner' && opts.role !== 'owner' ? ' (the first operator is always an owner)' : '';
    output(ctx, { id: operator.id, email: operator.email, role: operator.role, password: created.password, link: created.link }, [
      `operator ${operator.email} created as ${operator.role}${first}`,
      created.password
        ? `one-time password (shown only now; change it under Settings → Your account): ${created.password}`
        : `set-password link (valid 72 hours, works once): ${created.link}`,
      `log in at ${config.publicUrl}/admin`,
    ]);
  });
}

/** `tidings user password-link <email>`: a new set-password link (a forgotten password). */
export async function userPasswordLinkCommand(email: string, opts: { json?: boolean }): Promise<void> {
  const ctx = commandContext({ ...opts, quiet: true });
  await withServices(ctx, async ({ pool, config }) => {
    const operator = await findOperatorByEmail(pool, email);
    if (!operator) throw new NotFoundError('operator', email);
    const link = await issuePasswordLink(pool, config.publicUrl, operator.id);
    output(ctx, { id: operator.id, link }, [`set-password link for ${operator.email} (valid 72 hours, works once): ${link}`]);
  });
}

export async function userListCommand(opts: { json?: boolean }): Promise<void> {
  const ctx = commandContext({ ...opts, quiet: true });
  await withServices(ctx, async ({ pool }) => {
    const operators = await listOperators(pool);
    output(ctx, { id: 'operators', operators }, operators.length
      ? operators.map((o) => `${String(o.id).padStart(4)}  ${o.role.padEnd(6)}  ${o.email}${o.disabled ? '  (disabled)' : ''}${o.hasPassword ? '' : '  (no password set yet)'}`)
      : ['no operators yet: tidings user create <email>']);
  });
}
