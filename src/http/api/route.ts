import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import type { Services } from '../../app/services';
import { isTidingsError, type ErrorCode } from '../../errors';

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
  handler(ctx: HandlerContext): Promise<unknown>;
}

export interface HandlerContext {
  services: Services;
  // Validated values: the handler narrows them with its own schema's type through `input`.
  params: Record<string, unknown>;
  query: Record<string, unknown>;
  body: unknown;
  req: Request;
  res: Response;
}

/** Declares a route with typed params, query and body from its schemas. */
export function route<P extends z.ZodObject | undefined = undefined, Q extends z.ZodObject | undefined = undefined, B extends z.ZodType | undefined = undefined>(
  spec: Omit<ApiRoute, 'handler' | 'params' | 'query' | 'body'> & {
    params?: P;
    query?: Q;
    body?: B;
    handler(ctx: {
      services: Services;
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

const STATUS_BY_CODE: Partial<Record<ErrorCode, number>> = {
  NOT_FOUND: 404,
  INVALID_INPUT: 400,
  CSV_INVALID: 400,
  CONTENT_INVALID: 422,
  TEMPLATE_ERROR: 422,
  MJML_ERROR: 422,
  SEND_STATE: 409,
  ALREADY_SENT: 409,
};

export class ApiError extends Error {
  constructor(readonly status: number, readonly code: string, message: string, readonly field?: string) {
    super(message);
  }
}

/** A zod failure as one message that names the field: `body.email: Invalid email address`. */
function validationError(where: 'params' | 'query' | 'body', error: z.ZodError): ApiError {
  const issue = error.issues[0];
  const field = [where, ...issue.path.map(String)].join('.');
  return new ApiError(400, 'INVALID_INPUT', `${field}: ${issue.message}`, field);
}

export function sendError(res: Response, err: unknown, services: Pick<Services, 'log'>): void {
  if (err instanceof ApiError) {
    res.status(err.status).json({ error: { code: err.code, message: err.message, ...(err.field ? { field: err.field } : {}) } });
    return;
  }
  if (isTidingsError(err)) {
    const status = STATUS_BY_CODE[err.code] ?? 500;
    res.status(status).json({ error: { code: err.code, message: err.message } });
    return;
  }
  const e = err as { status?: number; type?: string; message?: string };
  if (e.type === 'entity.parse.failed') {
    res.status(400).json({ error: { code: 'INVALID_INPUT', message: `body: not valid JSON (${e.message})` } });
    return;
  }
  if (e.status === 413) {
    res.status(413).json({ error: { code: 'TOO_LARGE', message: 'the request body is too large' } });
    return;
  }
  services.log.error({ event: 'api.error', err }, 'API request failed');
  res.status(500).json({ error: { code: 'INTERNAL', message: 'internal error; see the server log (event api.error)' } });
}

export function mountRoutes(router: Router, routes: ApiRoute[], services: Services): void {
  for (const r of routes) {
    router[r.method](r.path, async (req, res) => {
      try {
        const params = r.params ? r.params.safeParse(req.params) : { success: true as const, data: {} };
        if (!params.success) throw validationError('params', params.error);
        const query = r.query ? r.query.safeParse(req.query) : { success: true as const, data: {} };
        if (!query.success) throw validationError('query', query.error);
        // A raw route reads the request stream itself; a JSON body was already consumed by the JSON parser.
        if (r.raw && req.is('application/json')) {
          throw new ApiError(415, 'INVALID_INPUT', `body: send the ${r.raw.contentType.split('/')[1]} itself with Content-Type: ${r.raw.contentType}, not JSON`, 'body');
        }
        let body: unknown;
        if (r.body) {
          const parsed = r.body.safeParse(req.body ?? {});
          if (!parsed.success) throw validationError('body', parsed.error);
          body = parsed.data;
        }
        const result = await r.handler({ services, params: params.data as Record<string, unknown>, query: query.data as Record<string, unknown>, body, req, res });
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
