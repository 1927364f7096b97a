import { statusFromWord } from '../statuses';
import { cell, parseTime, type SourceShape } from './shape';

/**
 * listmonk's subscriber export: `uuid,email,name,attributes,status,created_at,updated_at`, the attributes as a
 * JSON object and the status the subscriber's own (enabled, disabled, blocklisted): enabled takes the import's
 * default subscription status, disabled is not mailable, blocklisted is suppressed.
 */
export const listmonk: SourceShape = {
  source: 'listmonk',
  label: 'listmonk subscribers export',
  emailColumns: ['email'],
  recognises: (h) => h.has('uuid', 'email', 'name', 'attributes', 'status'),
  mapper(header, context) {
    const [email, name, attributes, status, created] = ['email', 'name', 'attributes', 'status', 'created_at'].map((c) => header.index(c));
    return (fields) => {
      const word = cell(fields, status) || 'enabled';
      const rowStatus = statusFromWord(word, context.defaultStatus);
      if (!rowStatus) return { error: `unknown listmonk status '${word}' (expected enabled, disabled or blocklisted)` };
      let attrs: Record<string, unknown> = {};
      const json = cell(fields, attributes);
      if (json) {
        try {
          const parsed = JSON.parse(json) as unknown;
          if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return { error: `column 'attributes' must hold a JSON object, got '${json.slice(0, 50)}'` };
          attrs = parsed as Record<string, unknown>;
        } catch {
          return { error: `column 'attributes' is not valid JSON: '${json.slice(0, 50)}'` };
        }
      }
      const createdAt = parseTime(cell(fields, created));
      return { row: { email: cell(fields, email), name: cell(fields, name), attributes: attrs, status: rowStatus, subscribedAt: createdAt, confirmedAt: createdAt } };
    };
  },
};
