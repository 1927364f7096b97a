import type { Condition, SegmentDefinition } from '../segments/definition';

/** A segment as an SQL condition over `s` (subscribers) and `sub` (the list's subscriptions), with its parameters. */
export interface CompiledSegment {
  sql: string;
  params: unknown[];
}

/** Matches nothing else: a send without a segment. */
export const EVERYONE: CompiledSegment = { sql: 'true', params: [] };

const like = (value: string) => value.replace(/[\\%_]/g, (c) => `\\${c}`);

/**
 * Turns a definition into SQL. Every value travels as a parameter (numbered from `firstParam`), never as
 * SQL text, and the operators come from a closed set, so a definition cannot inject anything.
 */
export function compileSegment(definition: SegmentDefinition, firstParam: number): CompiledSegment {
  const params: unknown[] = [];
  const p = (value: unknown) => {
    params.push(value);
    return `$${firstParam + params.length - 1}`;
  };
  const parts = definition.conditions.map((c) => conditionSql(c, p));
  const joined = parts.map((x) => `(${x})`).join(definition.match === 'all' ? ' AND ' : ' OR ');
  return { sql: joined || 'true', params };
}

function conditionSql(c: Condition, p: (value: unknown) => string): string {
  switch (c.field) {
    case 'attribute': {
      const key = p(c.key);
      if (c.op === 'exists') return `s.attributes ? ${key}`;
      if (c.op === 'missing') return `NOT (s.attributes ? ${key})`;
      if (c.op === 'eq') return `lower(s.attributes ->> ${key}) = lower(${p(c.value)})`;
      if (c.op === 'neq') return `lower(coalesce(s.attributes ->> ${key}, '')) <> lower(${p(c.value)})`;
      return `s.attributes ->> ${key} ILIKE '%' || ${p(like(c.value))} || '%'`;
    }
    case 'email':
    case 'name': {
      const column = c.field === 'email' ? 's.email' : 's.name';
      if (c.op === 'eq') return `lower(${column}) = lower(${p(c.value)})`;
      if (c.op === 'ends_with') return `lower(${column}) LIKE '%' || lower(${p(like(c.value))})`;
      if (c.op === 'not_contains') return `${column} NOT ILIKE '%' || ${p(like(c.value))} || '%'`;
      return `${column} ILIKE '%' || ${p(like(c.value))} || '%'`;
    }
    case 'subscribed': {
      if (c.op === 'within_days') return `sub.created_at > now() - make_interval(days => ${p(Number(c.value))}::int)`;
      if (c.op === 'before_days') return `sub.created_at <= now() - make_interval(days => ${p(Number(c.value))}::int)`;
      if (c.op === 'after') return `sub.created_at >= ${p(c.value)}::date`;
      return `sub.created_at < ${p(c.value)}::date`;
    }
    case 'engagement': {
      const type = c.op.endsWith('opened') ? 'open' : 'click';
      const exists = `EXISTS (SELECT 1 FROM events e WHERE e.subscriber_id = s.id AND e.type = '${type}' AND NOT e.machine AND e.occurred_at > now() - make_interval(days => ${p(c.days)}::int))`;
      return c.op.startsWith('not_') ? `NOT ${exists}` : exists;
    }
  }
}
