/**
 * Typed errors with stable codes. A code names what went wrong; the message says how to fix it;
 * `context` carries the ids that make the error traceable in logs.
 *
 * The catalogue: every code with its HTTP status (the API), its exit code (the CLI) and what it means (the
 * README's Errors table lists exactly these codes; test/errors.test.ts checks it).
 */
export interface ErrorEntry {
  readonly status: number;
  readonly exitCode: number;
  readonly means: string;
}

export const ERRORS = {
  CONFIG_INVALID: { status: 500, exitCode: 2, means: 'a variable is missing or malformed (the message starts with its name)' },
  NOT_FOUND: { status: 404, exitCode: 1, means: 'an issue, list, send, subscriber or import does not exist' },
  INVALID_INPUT: { status: 400, exitCode: 1, means: 'a bad argument or field (list slug, status, an issue slug already sent with other content)' },
  CONTENT_INVALID: { status: 422, exitCode: 1, means: 'a content file does not parse or a field is invalid (file, field, line)' },
  PREFLIGHT_FAILED: { status: 422, exitCode: 1, means: 'an issue fails preflight before a send (every error listed; the API answers them as `findings`); nothing was created' },
  TEMPLATE_ERROR: { status: 422, exitCode: 1, means: 'a Handlebars error, e.g. a missing variable in strict mode (file, line)' },
  MJML_ERROR: { status: 422, exitCode: 1, means: 'the generated MJML is invalid (line)' },
  CSV_INVALID: { status: 400, exitCode: 1, means: 'a CSV cannot be imported at all (no `email` column, empty file)' },
  SEND_STATE: { status: 409, exitCode: 1, means: 'a send cannot do that in its state (pause a finished send, resume a cancelled one), or an import is running' },
  ALREADY_SENT: { status: 409, exitCode: 1, means: 'the issue was already sent (or is scheduled or being sent) to that list; the message names the earlier send. `--again` / `"again": true` sends it anyway' },
  SMTP_TEMPORARY: { status: 502, exitCode: 1, means: 'an SMTP 4xx reply or connection error (a delivery retries it)' },
  SMTP_PERMANENT: { status: 502, exitCode: 1, means: 'an SMTP 5xx reply (not retried)' },
  UNAUTHORIZED: { status: 401, exitCode: 1, means: 'no valid `Authorization: Bearer $ADMIN_TOKEN` (API), or a webhook whose signature or credentials do not verify' },
  FORBIDDEN: { status: 403, exitCode: 1, means: "the operator's role does not allow this (a viewer changing something, an editor managing operators)" },
  CSRF_FAILED: { status: 403, exitCode: 1, means: 'a change made with the app\'s session cookie without its X-CSRF-Token, or from another site' },
  LOGIN_FAILED: { status: 401, exitCode: 1, means: 'the address or the password is wrong (the same answer for both)' },
  TOO_MANY_ATTEMPTS: { status: 429, exitCode: 1, means: 'too many failed logins for the account or from the address; `Retry-After` says when to try again' },
  LAST_OWNER: { status: 409, exitCode: 1, means: 'the last owner cannot be demoted, disabled or deleted' },
  TOO_LARGE: { status: 413, exitCode: 1, means: 'a request body or upload is over its limit' },
  UNSUPPORTED_MEDIA: { status: 415, exitCode: 1, means: 'a body of the wrong Content-Type (JSON where a CSV, YAML or an image is expected), or an image type the media store does not take' },
  INTERNAL: { status: 500, exitCode: 1, means: 'anything unexpected; the server log (`api.error`) or `LOG_LEVEL=debug` on the CLI has the details' },
} as const satisfies Record<string, ErrorEntry>;

export type ErrorCode = keyof typeof ERRORS;

export class TidingsError extends Error {
  readonly code: ErrorCode;
  readonly context: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, context: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TidingsError';
    this.code = code;
    this.context = context;
  }
}

export class ConfigError extends TidingsError {
  constructor(readonly variable: string, message: string) {
    super('CONFIG_INVALID', `${variable}: ${message}`, { variable });
    this.name = 'ConfigError';
  }
}

export class NotFoundError extends TidingsError {
  constructor(what: string, key: string | number) {
    super('NOT_FOUND', `${what} '${key}' does not exist`, { what, key });
    this.name = 'NotFoundError';
  }
}

export function isTidingsError(err: unknown): err is TidingsError {
  return err instanceof TidingsError;
}

/** The HTTP status of an error: its code's, or 500 for anything that is not a TidingsError. */
export function httpStatusOf(err: unknown): number {
  return isTidingsError(err) ? ERRORS[err.code].status : ERRORS.INTERNAL.status;
}

/** The exit code of a CLI command that failed with this error. */
export function exitCodeOf(err: unknown): number {
  return isTidingsError(err) ? ERRORS[err.code].exitCode : ERRORS.INTERNAL.exitCode;
}
