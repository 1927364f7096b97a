import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import type { Services } from '../../app/services';
import { ERRORS, httpStatusOf, isTidingsError, type ErrorCode } from '../../errors';
import type { Role } from '../../auth/roles';
import { principalOf } from '../operator-session';
import { accessRefusal, recordApiAudit } from './access';

/**
 * One API route, declared once: Express validates requests with these zod schemas and the OpenAPI document
 * is generated from the same schemas, so the two cannot drift apart.
 */
export interface ApiRoute {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  /** Express-style path under /api, e.g. `/lists/:slug`. */
  path: string;
  summary: string;
  tag: string;
  params?: z.ZodObject;
  query?: z.ZodObject;
  /** A JSON body schema; `raw` routes read the request stream themselves (CSV, YAML). */
  body?: z.ZodType;
  raw?: { contentType: string; description: string };
  response?: z.ZodType;
  /** Content type of a response that is not JSON (a CSV export, rendered HTML). */
  produces?: string;
  status?: number;
  /** Who may call it: 'public' (logging in), or the least role; default viewer for GET, editor otherwise. */
  role?: Role | 'public';
  /** The audit log's action name, or false for a POST that changes nothing (a preview); default derived (access.ts). */
  audit?: string | false;
  /**
   * The services its handler may use; the handler is given only these (a narrow dependency, checked by the
   * compiler and at run time). Unset: all of them.
   */
  uses?: readonly (keyof Services)[];
  handler(ctx: HandlerContext): Promise<unknown>;
}

export interface HandlerContext {
  services: Partial<Services>;
  // Validated values: the handler narrows them with its own schema's type through `input`.
  params: Record<string, unknown>;
  query: Record<string, unknown>;
  body: unknown;
  req: Request;
  res: Response;
}

/** Declares a route with typed params, query and body from its schemas. */
export function route<
  P extends z.ZodObject | undefined = undefined,
  Q extends z.ZodObject | undefined = undefined,
  B extends z.ZodType | undefined = undefined,
  D extends keyof Services = keyof Services,
>(
  spec: Omit<ApiRoute, 'handler' | 'params' | 'query' | 'body' | 'uses'> & {
    params?: P;
    query?: Q;
    body?: B;
    uses?: readonly D[];
    handler(ctx: {
      services: Pick<Services, D>;
      params: P extends z.ZodObject ? z.infer<P> : Record<string, never>;
      query: Q extends z.ZodObject ? z.infer<Q> : Record<string, never>;
      body: B extends z.ZodType ? z.infer<B> : undefined;
      req: Request;
      res: Response;
    }): Promise<unknown>;
  },
): ApiRoute {
  return spec as unknown as ApiRoute;
}

/** An error the API layer itself raises (validation, content types, sizes); its status is its code's (src/errors.ts). */
export class ApiError extends Error {
  readonly status: number;
  constructor(readonly code: ErrorCode, message: string, readonly field?: string) {
    super(message);
    this.status = ERRORS[code].status;
  }
}

/** The JSON error body: code, message, the field when one is wrong, and the findings of a failed preflight. */
function errorBody(code: ErrorCode, message: string, extra: Record<string, unknown> = {}) {
  return { error: { code, message, ...extra } };
}

/** A zod failure as one message that names the field: `body.email: Invalid email address`. */
function validationError(where: 'params' | 'query' | 'body', error: z.ZodError): ApiError {
  const issue = error.issues[0];
  const field = [where, ...issue.path.map(String)].join('.');
  return new ApiError('INVALID_INPUT', `${field}: ${issue.message}`, field);
}

export function sendError(res: Response, err: unknown, services: Pick<Services, 'log'>): void {
  if (err instanceof ApiError) {
    res.status(err.status).json(errorBody(err.code, err.message, err.field ? { field: err.field } : {}));
    return;
  }
  if (isTidingsError(err)) {
    const findings = err.code === 'PREFLIGHT_FAILED' ? { findings: err.context.preflight } : {};
    res.status(httpStatusOf(err)).json(errorBody(err.code, err.message, findings));
    return;
  }
  const e = err as { status?: number; type?: string; message?: string };
  if (e.type === 'entity.parse.failed') {
    res.status(ERRORS.INVALID_INPUT.status).json(errorBody('INVALID_INPUT', `body: not valid JSON (${e.message})`));
    return;
  }
  if (e.status === 413) {
    res.status(ERRORS.TOO_LARGE.status).json(errorBody('TOO_LARGE', 'the request body is too large'));
    return;
  }
  services.log.error({ event: 'api.error', err }, 'API request failed');
  res.status(ERRORS.INTERNAL.status).json(errorBody('INTERNAL', 'internal error; see the server log (event api.error)'));
}

/** Only the services a route names in `uses`: a handler that reaches for another finds nothing there. */
function servicesFor(r: ApiRoute, services: Services): Partial<Services> {
  if (!r.uses) return services;
  return Object.fromEntries(r.uses.map((name) => [name, services[name]])) as Partial<Services>;
}

export function mountRoutes(router: Router, routes: ApiRoute[], services: Services): void {
  for (const r of routes) {
    const scoped = servicesFor(r, services);
    router[r.method](r.path, async (req, res) => {
      try {
        const principal = principalOf(res);
        const refusal = accessRefusal(r, principal);
        if (refusal) throw new ApiError(refusal.code, refusal.message);
        const params = r.params ? r.params.safeParse(req.params) : { success: true as const, data: {} };
        if (!params.success) throw validationError('params', params.error);
        const query = r.query ? r.query.safeParse(req.query) : { success: true as const, data: {} };
        if (!query.success) throw validationError('query', query.error);
        // A raw route reads the request stream itself; a JSON body was already consumed by the JSON parser.
        if (r.raw && req.is('application/json')) {
          throw new ApiError('UNSUPPORTED_MEDIA', `body: send the ${r.raw.contentType.split('/')[1]} itself with Content-Type: ${r.raw.contentType}, not JSON`, 'body');
        }
        let body: unknown;
        if (r.body) {
          const parsed = r.body.safeParse(req.body ?? {});
          if (!parsed.success) throw validationError('body', parsed.error);
          body = parsed.data;
        }
        const result = await r.handler({ services: scoped, params: params.data as Record<string, unknown>, query: query.data as Record<string, unknown>, body, req, res });
        await recordApiAudit(services, r, req, principal, params.data as Record<string, unknown>, body, result);
        if (!res.headersSent && result !== undefined) res.status(r.status ?? 200).json(result);
        else if (!res.headersSent) res.status(204).end();
      } catch (err) {
        if (res.headersSent) {
          services.log.error({ event: 'api.stream_failed', err, path: r.path }, 'API response failed after it started');
          res.destroy();
        } else sendError(res, err, services);
      }
    });
  }
}
