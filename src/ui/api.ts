/** The app talks to the same admin API as every other client; its session cookie plus the CSRF token authorise it. */
let csrfToken = '';

export function setCsrfToken(token: string | undefined): void {
  csrfToken = token ?? '';
}

export class ApiFailure extends Error {
  constructor(readonly status: number, readonly code: string, message: string, readonly field?: string) {
    super(message);
  }
}

export interface RequestOptions {
  /** A body that is not JSON (CSV, issue content), sent as it is. */
  raw?: BodyInit;
  /** null: let the browser set it (a FormData body). */
  contentType?: string | null;
  /** Answer with the response text instead of parsing JSON. */
  text?: boolean;
  signal?: AbortSignal;
}

/** Called when the session has ended (401): the app shows the login page. */
let onSignedOut: () => void = () => {};
export function whenSignedOut(handler: () => void): void {
  onSignedOut = handler;
}

export async function api<T = unknown>(method: string, path: string, body?: unknown, options: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (method !== 'GET') headers['x-csrf-token'] = csrfToken;
  let payload: BodyInit | undefined;
  if (options.raw !== undefined) {
    payload = options.raw;
    if (options.contentType !== null) headers['content-type'] = options.contentType ?? 'text/plain; charset=utf-8';
  } else if (body !== undefined) {
    payload = JSON.stringify(body);
    headers['content-type'] = 'application/json';
  }
  let res: Response;
  try {
    res = await fetch(`/api${path}`, { method, headers, body: payload, credentials: 'same-origin', signal: options.signal });
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    throw new ApiFailure(0, 'NETWORK', 'network');
  }
  if (res.status === 401 && path !== '/session') onSignedOut();
  if (!res.ok) {
    const error = (await res.json().catch(() => ({}))) as { error?: { code?: string; message?: string; field?: string } };
    throw new ApiFailure(res.status, error.error?.code ?? 'HTTP_' + res.status, error.error?.message ?? res.statusText, error.error?.field);
  }
  if (res.status === 204) return undefined as T;
  return (options.text ? await res.text() : await res.json()) as T;
}

export const get = <T,>(path: string, options?: RequestOptions) => api<T>('GET', path, undefined, options);
export const post = <T,>(path: string, body?: unknown, options?: RequestOptions) => api<T>('POST', path, body ?? {}, options);
export const patch = <T,>(path: string, body: unknown) => api<T>('PATCH', path, body);
export const del = <T,>(path: string) => api<T>('DELETE', path);
export const put = <T,>(path: string, body?: unknown, options?: RequestOptions) => api<T>('PUT', path, body, options);

/** Query string from the defined values only. */
export function qs(params: Record<string, string | number | boolean | undefined | null>): string {
  const search = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') search.set(k, String(v));
  const s = search.toString();
  return s ? `?${s}` : '';
}
