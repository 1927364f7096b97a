/**
 * Typed errors with stable codes. A code names what went wrong; the message says how to fix it;
 * `context` carries the ids that make the error traceable in logs. Codes are documented in README.md.
 */
export type ErrorCode =
  | 'CONFIG_INVALID'
  | 'NOT_FOUND'
  | 'INVALID_INPUT'
  | 'CONTENT_INVALID'
  | 'PREFLIGHT_FAILED'
  | 'TEMPLATE_ERROR'
  | 'MJML_ERROR'
  | 'CSV_INVALID'
  | 'SEND_STATE'
  | 'ALREADY_SENT'
  | 'SMTP_TEMPORARY'
  | 'SMTP_PERMANENT';

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
