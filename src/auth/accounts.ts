import type { Pool } from '../db/pool';
import { findByPasswordToken, findOperatorByEmail, insertOperator, setPasswordHash, setPasswordToken, type Operator } from '../db/operators';
import { TidingsError } from '../errors';
import { hashPassword, passwordProblem, verifyPassword } from './passwords';
import type { Role } from './roles';
import { digest, generatePassword, randomToken } from './secrets';

/** How long a set-password link printed by `tidings user create` stays valid. */
export const PASSWORD_LINK_HOURS = 72;

export interface NewOperator {
  operator: Operator;
  /** The one-time password, when one was asked for. */
  password?: string;
  /** The set-password link (PUBLIC_URL/admin/set-password#<token>), otherwise. */
  link?: string;
}

/**
 * An operator account, with either a generated password (shown once) or a set-password link. The token
 * sits in the link's fragment, so it never reaches a server log or a Referer header.
 */
export async function createOperatorAccount(
  pool: Pool,
  publicUrl: string,
  input: { email: string; name?: string; role?: Role; withPassword?: boolean },
): Promise<NewOperator> {
  const email = input.email.trim();
  if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) throw new TidingsError('INVALID_INPUT', `email: '${email}' is not an email address`);
  if (await findOperatorByEmail(pool, email)) throw new TidingsError('INVALID_INPUT', `email: an operator with the address ${email} already exists`);
  if (input.withPassword) {
    const password = generatePassword();
    const operator = await insertOperator(pool, { email, name: input.name, role: input.role, passwordHash: await hashPassword(password) });
    return { operator, password };
  }
  const token = randomToken();
  const operator = await insertOperator(pool, { email, name: input.name, role: input.role, passwordTokenHash: digest(token), tokenHours: PASSWORD_LINK_HOURS });
  return { operator, link: setPasswordLink(publicUrl, token) };
}

export function setPasswordLink(publicUrl: string, token: string): string {
  return `${publicUrl}/admin/set-password#${token}`;
}

/** A new set-password link for an existing operator (an owner resets someone's password). */
export async function issuePasswordLink(pool: Pool, publicUrl: string, operatorId: number): Promise<string> {
  const token = randomToken();
  await setPasswordToken(pool, operatorId, digest(token), PASSWORD_LINK_HOURS);
  return setPasswordLink(publicUrl, token);
}

/** Sets the password of the operator a set-password token belongs to; the token works once. */
export async function setPasswordWithToken(pool: Pool, token: string, password: string): Promise<Operator> {
  const problem = passwordProblem(password);
  if (problem) throw new TidingsError('INVALID_INPUT', `password: ${problem}`);
  const operator = await findByPasswordToken(pool, digest(token));
  if (!operator) throw new TidingsError('INVALID_INPUT', 'token: this set-password link is not valid any more; ask an owner for a new one');
  await setPasswordHash(pool, operator.id, await hashPassword(password));
  return operator;
}

/** The operator whose address and password these are, or undefined (the same for an unknown address and a wrong password). */
export async function checkCredentials(pool: Pool, email: string, password: string): Promise<Operator | undefined> {
  const found = await findOperatorByEmail(pool, email.trim());
  const ok = await verifyPassword(found && !found.disabled ? found.passwordHash : null, password);
  if (!ok || !found) return undefined;
  const { passwordHash: _hash, ...operator } = found;
  return operator;
}

/**
 * The demo's operator: created as an owner on first use, given a fresh generated password on every demo run
 * (printed by `npm run demo -- --serve`), so the printed login always works.
 */
export async function demoOperatorLogin(pool: Pool, email: string): Promise<{ email: string; password: string }> {
  const password = generatePassword();
  const found = await findOperatorByEmail(pool, email);
  if (found) await setPasswordHash(pool, found.id, await hashPassword(password));
  else await insertOperator(pool, { email, name: 'Demo', role: 'owner', passwordHash: await hashPassword(password) });
  return { email, password };
}
