import { z } from 'zod';
import type { Services } from '../../app/services';
import { checkCredentials, createOperatorAccount, issuePasswordLink, setPasswordWithToken } from '../../auth/accounts';
import { LoginLimits } from '../../auth/login-limits';
import { hashPassword, passwordProblem, verifyPassword } from '../../auth/passwords';
import { ROLES } from '../../auth/roles';
import { digest, randomToken } from '../../auth/secrets';
import { listAudit } from '../../db/audit';
import {
  countOwners, deleteApiToken, deleteOperator, deleteSessionsOf, findOperatorByEmail, getOperator, insertApiToken,
  listApiTokens, listOperators, setPasswordHash, updateOperator,
} from '../../db/operators';
import { API_TOKEN_PREFIX, endSession, principalOf, startSession, type Principal } from '../operator-session';
import { insertAudit } from '../../db/audit';
import { ApiError, route } from './route';
import * as s from './schemas';

const limitsByServices = new WeakMap<Pick<Services, 'redis' | 'config'>, LoginLimits>();
function loginLimits(services: Pick<Services, 'redis' | 'config'>): LoginLimits {
  let limits = limitsByServices.get(services);
  if (!limits) limitsByServices.set(services, (limits = new LoginLimits(services.redis, services.config.queuePrefix)));
  return limits;
}

const role = z.enum(ROLES);
const locale = z.enum(['en', 'zh-CN']);
const operator = z
  .object({ id: z.number(), email: z.string(), name: z.string(), role, locale: locale.nullable(), disabled: z.boolean(), hasPassword: z.boolean(), createdAt: z.string() })
  .meta({ id: 'Operator' });
const session = z.object({ operator, via: z.string(), csrfToken: z.string().optional(), publicUrl: z.string() }).meta({ id: 'Session' });

function me(principal: Principal | undefined): Principal {
  if (!principal) throw new ApiError('UNAUTHORIZED', 'log in, or send a valid bearer token');
  return principal;
}

function operatorId(principal: Principal): number {
  if (principal.operatorId === null) throw new ApiError('INVALID_INPUT', 'ADMIN_TOKEN is not an operator account: use an operator\'s session or API token');
  return principal.operatorId;
}

/** Logging in and out; the one route anybody may call is POST /session, and it is rate-limited. */
export const sessionRoutes = [
  route({
    method: 'post', path: '/session', tag: 'session', summary: 'Log in (sets the HttpOnly session cookie; answers with the CSRF token)', status: 201,
    role: 'public', audit: 'session.login',
    body: z.object({ email: z.string().trim().min(3).max(254), password: z.string().min(1).max(256) }),
    response: session,
    uses: ['config', 'pool', 'redis'],
    handler: async ({ services, body, req, res }) => {
      // Login CSRF: a JSON body cannot be posted by another site's form, and the browser says where a request comes from.
      if (req.get('sec-fetch-site') === 'cross-site') throw new ApiError('CSRF_FAILED', 'a request from another site may not log in');
      const ip = req.ip ?? 'unknown';
      const limits = loginLimits(services);
      const wait = await limits.retryAfter(body.email, ip);
      if (wait > 0) {
        res.set('Retry-After', String(wait));
        throw new ApiError('TOO_MANY_ATTEMPTS', `too many failed logins; try again in ${Math.ceil(wait / 60)} minutes`);
      }
      const found = await checkCredentials(services.pool, body.email, body.password);
      if (!found) {
        await limits.failed(body.email, ip);
        await insertAudit(services.pool, { operatorId: null, actor: body.email.slice(0, 254), action: 'session.login_failed', target: '', details: {}, ip });
        throw new ApiError('LOGIN_FAILED', 'the address or the password is wrong');
      }
      await limits.succeeded(body.email);
      const { csrfToken } = await startSession(services, req, res, found);
      res.locals.principal = { operatorId: found.id, email: found.email, role: found.role, via: 'session', locale: found.locale } satisfies Principal;
      return { operator: found, via: 'session', csrfToken, publicUrl: services.config.publicUrl };
    },
  }),
  route({
    method: 'post', path: '/password', tag: 'session', summary: 'Set a password with the token of a set-password link', role: 'public', audit: 'operators.password_set',
    body: z.object({ token: z.string().min(20).max(200), password: z.string().max(256) }),
    response: operator,
    uses: ['pool'],
    handler: async ({ services, body, res }) => {
      const found = await setPasswordWithToken(services.pool, body.token, body.password);
      res.locals.principal = { operatorId: found.id, email: found.email, role: found.role, via: 'session', locale: found.locale } satisfies Principal;
      return getOperator(services.pool, found.id);
    },
  }),
];

export const operatorRoutes = [
  route({
    method: 'get', path: '/session', tag: 'session', summary: 'Who is logged in (and the CSRF token the app sends back on changes)',
    response: session,
    uses: ['config', 'pool'],
    handler: async ({ services, res }) => {
      const p = me(principalOf(res));
      const op = p.operatorId === null ? { id: 0, email: p.email, name: 'ADMIN_TOKEN', role: p.role, locale: null, disabled: false, hasPassword: false, createdAt: new Date(0) } : await getOperator(services.pool, p.operatorId);
      return { operator: op, via: p.via, csrfToken: p.csrfToken, publicUrl: services.config.publicUrl };
    },
  }),
  route({
    method: 'delete', path: '/session', tag: 'session', summary: 'Log out (this session)', role: 'viewer', audit: 'session.logout',
    uses: ['config', 'pool'],
    handler: async ({ services, res }) => {
      await endSession(services, res, me(principalOf(res)));
      return undefined;
    },
  }),
  route({
    method: 'post', path: '/session/logout-everywhere', tag: 'session', summary: 'End every session of the logged-in operator', role: 'viewer', audit: 'session.logout_everywhere',
    response: z.object({ ended: z.number() }),
    uses: ['config', 'pool'],
    handler: async ({ services, res }) => {
      const p = me(principalOf(res));
      const ended = await deleteSessionsOf(services.pool, operatorId(p));
      await endSession(services, res, p);
      return { ended };
    },
  }),
  route({
    method: 'patch', path: '/session', tag: 'session', summary: 'Change your own name, interface language or password', role: 'viewer', audit: 'session.update',
    body: z.object({ name: z.string().max(200).optional(), locale: locale.nullable().optional(), currentPassword: z.string().max(256).optional(), newPassword: z.string().max(256).optional() }),
    response: operator,
    uses: ['pool'],
    handler: async ({ services, body, res }) => {
      const id = operatorId(me(principalOf(res)));
      if (body.newPassword !== undefined) {
        const problem = passwordProblem(body.newPassword);
        if (problem) throw new ApiError('INVALID_INPUT', `body.newPassword: ${problem}`, 'body.newPassword');
        const current = await getOperator(services.pool, id);
        const stored = await findOperatorByEmail(services.pool, current.email);
        if (!(await verifyPassword(stored?.passwordHash ?? null, body.currentPassword ?? ''))) throw new ApiError('INVALID_INPUT', 'body.currentPassword: is wrong', 'body.currentPassword');
        await setPasswordHash(services.pool, id, await hashPassword(body.newPassword));
      }
      return updateOperator(services.pool, id, { name: body.name, locale: body.locale });
    },
  }),
  route({
    method: 'get', path: '/operators', tag: 'operators', summary: 'Every operator account', role: 'owner',
    response: z.object({ operators: z.array(operator) }),
    uses: ['pool'],
    handler: async ({ services }) => ({ operators: await listOperators(services.pool) }),
  }),
  route({
    method: 'post', path: '/operators', tag: 'operators', summary: 'Add an operator; answers with a set-password link to hand them', role: 'owner', status: 201,
    body: z.object({ email: s.emailAddress, name: z.string().max(200).default(''), role: role.default('editor') }),
    response: z.object({ operator, link: z.string() }),
    uses: ['config', 'pool'],
    handler: async ({ services, body }) => {
      const created = await createOperatorAccount(services.pool, services.config.publicUrl, body);
      return { ...created.operator, operator: created.operator, link: created.link! };
    },
  }),
  route({
    method: 'patch', path: '/operators/:id', tag: 'operators', summary: "Change an operator's role, or disable them (which ends their sessions)", role: 'owner',
    params: z.object({ id: s.id }), body: z.object({ role: role.optional(), disabled: z.boolean().optional(), name: z.string().max(200).optional() }),
    response: operator,
    uses: ['pool'],
    handler: async ({ services, params, body }) => {
      const before = await getOperator(services.pool, params.id);
      const demoted = before.role === 'owner' && ((body.role && body.role !== 'owner') || body.disabled);
      if (demoted && (await countOwners(services.pool)) <= 1) throw new ApiError('LAST_OWNER', 'this is the last owner: make someone else an owner first');
      const updated = await updateOperator(services.pool, params.id, body);
      if (body.disabled) await deleteSessionsOf(services.pool, params.id);
      return updated;
    },
  }),
  route({
    method: 'post', path: '/operators/:id/password-link', tag: 'operators', summary: 'A new set-password link for an operator (their old password keeps working until they use it)', role: 'owner',
    params: z.object({ id: s.id }), response: z.object({ link: z.string() }),
    uses: ['config', 'pool'],
    handler: async ({ services, params }) => {
      await getOperator(services.pool, params.id);
      return { link: await issuePasswordLink(services.pool, services.config.publicUrl, params.id) };
    },
  }),
  route({
    method: 'delete', path: '/operators/:id', tag: 'operators', summary: 'Delete an operator account (their sessions and API tokens go with it)', role: 'owner',
    params: z.object({ id: s.id }),
    uses: ['pool'],
    handler: async ({ services, params }) => {
      const before = await getOperator(services.pool, params.id);
      if (before.role === 'owner' && (await countOwners(services.pool)) <= 1) throw new ApiError('LAST_OWNER', 'this is the last owner and cannot be deleted');
      await deleteOperator(services.pool, params.id);
      return undefined;
    },
  }),
  route({
    method: 'get', path: '/tokens', tag: 'operators', summary: 'Your API tokens (names and first characters only)', role: 'viewer',
    response: z.object({ tokens: z.array(z.object({ id: z.number(), name: z.string(), prefix: z.string(), createdAt: z.string(), lastUsedAt: z.string().nullable() })) }),
    uses: ['pool'],
    handler: async ({ services, res }) => ({ tokens: await listApiTokens(services.pool, operatorId(me(principalOf(res)))) }),
  }),
  route({
    method: 'post', path: '/tokens', tag: 'operators', summary: 'Create an API token acting with your role; the token is shown once', role: 'viewer', status: 201,
    body: z.object({ name: z.string().trim().min(1).max(100) }),
    response: z.object({ id: z.number(), name: z.string(), token: z.string() }),
    uses: ['pool'],
    handler: async ({ services, body, res }) => {
      const token = randomToken(API_TOKEN_PREFIX);
      const row = await insertApiToken(services.pool, operatorId(me(principalOf(res))), body.name, digest(token), token.slice(0, API_TOKEN_PREFIX.length + 6));
      return { id: row.id, name: row.name, token };
    },
  }),
  route({
    method: 'delete', path: '/tokens/:id', tag: 'operators', summary: 'Revoke one of your API tokens', role: 'viewer',
    params: z.object({ id: s.id }),
    uses: ['pool'],
    handler: async ({ services, params, res }) => {
      await deleteApiToken(services.pool, operatorId(me(principalOf(res))), params.id);
      return undefined;
    },
  }),
  route({
    method: 'get', path: '/audit', tag: 'audit', summary: 'The audit log: who changed what, when (newest first)',
    query: z.object({ before: z.coerce.number().int().positive().optional(), limit: s.limit(200, 50), action: z.string().max(60).optional(), actor: z.string().max(254).optional() }),
    uses: ['pool'],
    handler: async ({ services, query }) => {
      const entries = await listAudit(services.pool, query);
      return { entries, next: entries.length === query.limit ? entries[entries.length - 1].id : null };
    },
  }),
];
