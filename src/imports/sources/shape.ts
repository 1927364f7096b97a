import type { DefaultStatus, RowStatus } from '../statuses';

/** The services whose exports `tidings import` reads, and `csv` (Tidings' own columns). */
export const IMPORT_SOURCES = ['mailchimp', 'substack', 'listmonk', 'ghost', 'kit', 'buttondown', 'beehiiv', 'csv'] as const;
export type ImportSource = (typeof IMPORT_SOURCES)[number];

/** One data row of an export, in the terms Tidings stores. The address is checked later, by the one validator. */
export interface MappedRow {
  email: string;
  name: string;
  attributes: Record<string, unknown>;
  status: RowStatus;
  /** ISO 8601 times from the source, when it has them. */
  subscribedAt?: string;
  confirmedAt?: string;
  unsubscribedAt?: string;
}

export type RowMapping = { row: MappedRow; error?: undefined } | { error: string; row?: undefined };

export interface MappingContext {
  /** The status of rows that carry none (`--status`). */
  defaultStatus: DefaultStatus;
  /** The file's name, when there is one: Mailchimp puts the status in it (`unsubscribed_members_export_….csv`). */
  fileName?: string;
}

/** How one service's export is read: recognised by its header, each row mapped by its documented columns. */
export interface SourceShape {
  source: ImportSource;
  /** As people call it, for messages: "Mailchimp audience export". */
  label: string;
  /** The names its email column goes by (the file is refused as this shape without one). */
  emailColumns: readonly string[];
  /** Whether a header is this service's export (the most specific shapes are asked first). */
  recognises(header: Header): boolean;
  /** Builds the mapper of the rows under this header, or throws a CSV_INVALID error naming what is missing. */
  mapper(header: Header, context: MappingContext): (fields: string[]) => RowMapping;
}

/** A header row, looked up by column name case-insensitively (and ignoring spaces, dashes and underscores). */
export class Header {
  readonly names: string[];
  private readonly byKey = new Map<string, number>();

  constructor(fields: string[]) {
    this.names = fields.map((f) => f.trim());
    this.names.forEach((name, i) => {
      const key = Header.key(name);
      if (!this.byKey.has(key)) this.byKey.set(key, i);
    });
  }

  static key(name: string): string {
    return name.toLowerCase().replace(/[\s_-]+/g, '');
  }

  /** The index of the first of these columns the header has, or -1. */
  index(...names: string[]): number {
    for (const name of names) {
      const i = this.byKey.get(Header.key(name));
      if (i !== undefined) return i;
    }
    return -1;
  }

  has(...names: string[]): boolean {
    return names.every((n) => this.index(n) >= 0);
  }

  hasAny(...names: string[]): boolean {
    return names.some((n) => this.index(n) >= 0);
  }

  /** Whether the header has this column spelled exactly so (Mailchimp's `Email Address` is not Kit's `email_address`). */
  hasExact(name: string): boolean {
    return this.names.includes(name);
  }
}

/** A cell, or '' when the column is absent. */
export const cell = (fields: string[], index: number): string => (index >= 0 ? (fields[index] ?? '').trim() : '');

/** `First` + `Last`, on one line. */
export const fullName = (...parts: string[]): string =>
  parts
    .map((p) => p.replace(/\s+/g, ' ').trim())
    .filter(Boolean)
    .join(' ');

/**
 * A time as exporters write it, as ISO 8601 UTC: `2024-03-14 10:21:34` (Mailchimp, UTC), ISO 8601 with or
 * without a zone, or a Unix time in seconds. Anything else (or nothing) is undefined: the row still imports.
 */
export function parseTime(value: string): string | undefined {
  const text = value.trim();
  if (!text) return undefined;
  if (/^\d{9,10}$/.test(text)) return new Date(Number(text) * 1000).toISOString();
  const m = /^(\d{4}-\d{2}-\d{2})(?:[ T](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?))?\s*(Z|UTC|GMT|[+-]\d{2}:?\d{2})?$/i.exec(text);
  if (!m) return undefined;
  const zone = !m[3] || /^(utc|gmt)$/i.test(m[3]) ? 'Z' : m[3].length === 5 ? `${m[3].slice(0, 3)}:${m[3].slice(3)}` : m[3];
  const ms = Date.parse(`${m[1]}T${m[2] ?? '00:00:00'}${zone}`);
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
}

/** A list of tags as services write them: `"VIP","Customer"` (Mailchimp), `a, b`, or a JSON array. */
export function parseTags(value: string): string[] {
  const text = value.trim();
  if (!text) return [];
  if (text.startsWith('[')) {
    try {
      const parsed = JSON.parse(text) as unknown;
      if (Array.isArray(parsed)) return parsed.map((t) => (typeof t === 'object' && t && 'name' in t ? String((t as { name: unknown }).name) : String(t))).filter(Boolean);
    } catch {
      // Not JSON after all: read it as a plain list.
    }
  }
  const quoted = [...text.matchAll(/"((?:[^"]|"")*)"/g)].map((m) => m[1].replace(/""/g, '"').trim());
  if (quoted.length && text.replace(/"(?:[^"]|"")*"/g, '').replace(/[,\s]/g, '') === '') return quoted.filter(Boolean);
  return text
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean);
}

/** A boolean cell: true/false, yes/no, 1/0; undefined when empty or anything else. */
export function parseFlag(value: string): boolean | undefined {
  const v = value.trim().toLowerCase();
  if (['true', 'yes', '1', 'y', 't'].includes(v)) return true;
  if (['false', 'no', '0', 'n', 'f'].includes(v)) return false;
  return undefined;
}

/** The other columns of a row as attributes (empty cells left out), under the names the header gives them. */
export function otherColumns(header: Header, fields: string[], used: ReadonlySet<number>): Record<string, unknown> {
  const attributes: Record<string, unknown> = {};
  header.names.forEach((name, i) => {
    if (used.has(i) || !name) return;
    const value = cell(fields, i);
    if (value !== '') attributes[name] = value;
  });
  return attributes;
}
