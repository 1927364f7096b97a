import { createOperatorAccount } from '../src/auth/accounts';
import type { Role } from '../src/auth/roles';
import type { Pool } from '../src/db/pool';

/** An operator with a known password (a generated one-time password, as `tidings user create --password` prints). */
export async function createOperator(pool: Pool, email: string, role: Role): Promise<{ email: string; password: string; id: number }> {
  const created = await createOperatorAccount(pool, 'http://127.0.0.1', { email, role, withPassword: true });
  return { email, password: created.password!, id: created.operator.id };
}

/** Logs in over HTTP like the app does; returns the cookie header and the CSRF token. */
export async function login(baseUrl: string, email: string, password: string): Promise<{ cookie: string; csrf: string; status: number }> {
  const res = await fetch(`${baseUrl}/api/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password }) });
  const body = (await res.json()) as { csrfToken?: string };
  const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0];
  return { cookie, csrf: body.csrfToken ?? '', status: res.status };
}
