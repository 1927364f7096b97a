import { TidingsError } from '../errors';

/**
 * Attribute columns may carry a type after a colon: `age:number`, `vip:boolean`, `joined:date`, `tags:json`;
 * without one a value is kept as text. A value that does not fit its column's type rejects the row.
 */
export type ColumnType = 'text' | 'number' | 'boolean' | 'date' | 'json';
const TYPES: readonly ColumnType[] = ['text', 'number', 'boolean', 'date', 'json'];

export interface Column {
  name: string;
  type: ColumnType;
}

export function parseColumn(header: string, line: number): Column {
  const raw = header.trim();
  const colon = raw.lastIndexOf(':');
  if (colon <= 0) return { name: raw.toLowerCase(), type: 'text' };
  const name = raw.slice(0, colon).trim().toLowerCase();
  const type = raw.slice(colon + 1).trim().toLowerCase();
  if (!(TYPES as readonly string[]).includes(type)) {
    throw new TidingsError('CSV_INVALID', `line ${line}: column '${raw}' has unknown type '${type}' (use ${TYPES.join(', ')})`, { line, column: raw });
  }
  return { name, type: type as ColumnType };
}

const TRUE = new Set(['true', 'yes', '1', 'y']);
const FALSE = new Set(['false', 'no', '0', 'n']);

/** The attribute value of a cell, or an error message naming the column. Empty cells are left out (undefined). */
export function convertCell(column: Column, value: string): { value?: unknown; error?: string } {
  if (value === '') return {};
  switch (column.type) {
    case 'text':
      return { value };
    case 'number': {
      const n = Number(value);
      return Number.isFinite(n) ? { value: n } : { error: `column '${column.name}' expects a number, got '${value.slice(0, 50)}'` };
    }
    case 'boolean': {
      const v = value.toLowerCase();
      if (TRUE.has(v)) return { value: true };
      if (FALSE.has(v)) return { value: false };
      return { error: `column '${column.name}' expects true or false, got '${value.slice(0, 50)}'` };
    }
    case 'date': {
      const ms = /^\d{4}-\d{2}-\d{2}/.test(value) ? Date.parse(value) : NaN;
      return Number.isNaN(ms) ? { error: `column '${column.name}' expects a date (YYYY-MM-DD), got '${value.slice(0, 50)}'` } : { value };
    }
    case 'json':
      try {
        return { value: JSON.parse(value) };
      } catch {
        return { error: `column '${column.name}' expects JSON, got '${value.slice(0, 50)}'` };
      }
  }
}
