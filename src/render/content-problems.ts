import type { z } from 'zod';

/**
 * Validation problems in plain words. zod says `Invalid input: expected string, received undefined`; an
 * operator needs `postal_address is missing: bulk mail must carry your postal address`, with the line, and
 * for a misspelt field the field it probably meant (`read_mroe` → `read_more`).
 */
export interface ContentProblem {
  /** The field's path, dotted (`sections.0.articles.2.read_more`). */
  field: string;
  message: string;
  line?: number;
}

/** Why a field is needed, said once here and reused by every message about it. */
const WHY: Record<string, string> = {
  postal_address: 'bulk mail must carry your postal address (add it to the file or set it on the list: `tidings list set <slug> --postal-address "…"`)',
  subject: 'the inbox shows it',
  title: 'the top of the message shows it',
  default_name: 'the greeting uses it for subscribers without a name (add it to the file or set it on the list: `tidings list set <slug> --default-name "…"`)',
};

const TYPE_WORDS: Record<string, string> = {
  string: 'text',
  number: 'a number',
  boolean: 'true or false',
  array: 'a list (lines starting with "- ")',
  object: 'a group of fields (indented under it)',
};

function kindOf(value: unknown): string {
  if (value === null) return 'empty';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a group of fields';
  if (typeof value === 'string') return 'text';
  return typeof value === 'number' ? 'a number' : typeof value === 'boolean' ? 'true or false' : typeof value;
}

function valueAt(data: unknown, path: readonly PropertyKey[]): unknown {
  let value = data;
  for (const key of path) value = value && typeof value === 'object' ? (value as Record<PropertyKey, unknown>)[key] : undefined;
  return value;
}

/** The known field names at a path of the schema (to suggest one for a misspelt field). */
function knownFields(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  let current: unknown = schema;
  const unwrap = (s: unknown): unknown => {
    let node = s as { def?: { type?: string; innerType?: unknown; element?: unknown; shape?: unknown }; shape?: unknown };
    while (node?.def && ['optional', 'default', 'nullable', 'prefault', 'pipe'].includes(String(node.def.type)) && node.def.innerType) {
      node = node.def.innerType as typeof node;
    }
    return node;
  };
  for (const key of path) {
    const node = unwrap(current) as { def?: { type?: string; element?: unknown }; shape?: Record<string, unknown> };
    if (node?.def?.type === 'array') current = node.def.element;
    else if (node?.shape) current = node.shape[String(key)];
    else return [];
  }
  const node = unwrap(current) as { shape?: Record<string, unknown> };
  return node?.shape ? Object.keys(node.shape) : [];
}

/** Levenshtein distance, small strings only. */
export function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length];
}

/** The closest known name, when it is close enough to be a likely typo. */
export function closest(name: string, known: readonly string[]): string | undefined {
  let best: { name: string; distance: number } | undefined;
  for (const candidate of known) {
    const distance = editDistance(name.toLowerCase(), candidate);
    if (!best || distance < best.distance) best = { name: candidate, distance };
  }
  return best && best.distance <= Math.max(2, Math.floor(best.name.length / 3)) ? best.name : undefined;
}

/**
 * Every problem zod found, in plain words. `lineOf(path, key)` gives the line of a field (or, with `key`, of
 * an unknown key inside it); fields that are missing point at their parent's line when known.
 */
export function describeProblems(
  error: z.ZodError,
  data: unknown,
  schema: z.ZodType,
  lineOf: (path: readonly PropertyKey[], key?: string) => number | undefined,
): ContentProblem[] {
  const problems: ContentProblem[] = [];
  for (const issue of error.issues) {
    const field = issue.path.map(String).join('.') || '(top level)';
    const name = String(issue.path.at(-1) ?? 'the file');
    const why = WHY[name] ? `: ${WHY[name]}` : '';
    const value = valueAt(data, issue.path);
    if (issue.code === 'unrecognized_keys') {
      const known = knownFields(schema, issue.path);
      for (const key of issue.keys) {
        const suggestion = closest(key, known);
        const at = issue.path.length ? ` in ${field}` : '';
        problems.push({
          field: [...issue.path.map(String), key].join('.'),
          message: `unknown field '${key}'${at}${suggestion ? ` — did you mean '${suggestion}'?` : ''} Known fields here: ${known.join(', ')}.`,
          line: lineOf(issue.path, key),
        });
      }
      continue;
    }
    const line = lineOf(issue.path) ?? lineOf(issue.path.slice(0, -1));
    let message: string;
    if (issue.code === 'invalid_type' && value === undefined) message = `${field} is missing${why}`;
    else if (issue.code === 'invalid_type' && value === null) message = `${field} is empty${why}`;
    else if (issue.code === 'invalid_type') message = `${field} should be ${TYPE_WORDS[String(issue.expected)] ?? String(issue.expected)}, but it is ${kindOf(value)}`;
    else if (issue.code === 'too_small' && issue.origin === 'string' && Number(issue.minimum) === 1) message = `${field} is empty${why}`;
    else if (issue.code === 'too_small' && issue.origin === 'array') message = `${field} needs at least ${issue.minimum} entr${Number(issue.minimum) === 1 ? 'y' : 'ies'}`;
    else if (issue.code === 'invalid_value') message = `${field} must be one of ${issue.values.map((v) => `'${String(v)}'`).join(', ')}`;
    else message = `${field} ${issue.message}`;
    problems.push({ field, message, line });
  }
  // In the order of the file; what the file does not have comes last.
  return problems.sort((a, b) => (a.line ?? Infinity) - (b.line ?? Infinity));
}
