import { NotFoundError, TidingsError } from '../errors';
import { segmentDefinition, type SegmentDefinition } from '../segments/definition';
import type { Pool } from './pool';

export interface Segment {
  id: number;
  name: string;
  listId: number | null;
  list: string | null;
  definition: SegmentDefinition;
  createdAt: Date;
  updatedAt: Date;
}

const SELECT = `SELECT g.id, g.name, g.list_id AS "listId", l.slug AS list, g.definition, g.created_at AS "createdAt", g.updated_at AS "updatedAt"
  FROM segments g LEFT JOIN lists l ON l.id = g.list_id`;

export async function listSegments(pool: Pool): Promise<Segment[]> {
  return (await pool.query<Segment>(`${SELECT} ORDER BY g.name, g.id`)).rows;
}

export async function getSegment(pool: Pool, id: number): Promise<Segment> {
  const { rows } = await pool.query<Segment>(`${SELECT} WHERE g.id = $1`, [id]);
  if (!rows[0]) throw new NotFoundError('segment', id);
  return rows[0];
}

export async function insertSegment(pool: Pool, s: { name: string; listId: number | null; definition: SegmentDefinition }): Promise<Segment> {
  const { rows } = await pool.query<{ id: number }>('INSERT INTO segments (name, list_id, definition) VALUES ($1, $2, $3::jsonb) RETURNING id', [s.name, s.listId, JSON.stringify(s.definition)]);
  return getSegment(pool, rows[0].id);
}

export async function updateSegment(pool: Pool, id: number, s: { name: string; listId: number | null; definition: SegmentDefinition }): Promise<Segment> {
  const result = await pool.query('UPDATE segments SET name = $2, list_id = $3, definition = $4::jsonb, updated_at = now() WHERE id = $1', [id, s.name, s.listId, JSON.stringify(s.definition)]);
  if (!result.rowCount) throw new NotFoundError('segment', id);
  return getSegment(pool, id);
}

export async function deleteSegment(pool: Pool, id: number): Promise<void> {
  const result = await pool.query('DELETE FROM segments WHERE id = $1', [id]);
  if (!result.rowCount) throw new NotFoundError('segment', id);
}

/** A segment that may be used for a send to this list (one of the list, or one for any list), its definition checked again. */
export async function segmentForList(pool: Pool, id: number, listId: number): Promise<{ id: number; definition: SegmentDefinition }> {
  const segment = await getSegment(pool, id);
  if (segment.listId !== null && segment.listId !== listId) {
    throw new TidingsError('INVALID_INPUT', `segment '${segment.name}' belongs to list '${segment.list}', not to the list of this send`, { segmentId: id });
  }
  return { id, definition: segmentDefinition.parse(segment.definition) };
}
