/**
 * The subscriber search condition over `s` (subscribers): the text `q`, passed as the SQL `part` (a LIKE
 * pattern's middle, lowercased and escaped), is part of the address, or with `name` of the address or the name.
 *
 * One trigram index covers both, over `lower(email) || ' ' || lower(name)` (migration 0170): every
 * subscriber written updates one GIN index instead of two, which is much of what an import's row costs.
 * An address holds no whitespace (its CHECK), so a `q` without a space found in that text lies wholly in the
 * address or wholly in the name: for the address-or-name search that one condition is the whole rule. A `q`
 * with a space can only be in the name; an address-only search checks the address. Such a second clause is
 * written only where it changes the answer, and not with the index clause for a `q` under three characters
 * (no trigram to look up): the planner multiplies the clauses' estimates, and an underestimate makes it read
 * the whole index instead of stopping at the first page of newest rows.
 */
export function subscriberMatchSql(part: string, q: string, fields: { name: boolean }): string {
  const contains = (column: string) => `${column} LIKE '%' || ${part} || '%'`;
  const indexed = contains(`(lower(s.email) || ' ' || lower(s.name))`);
  const exact = !fields.name ? contains('lower(s.email)') : q.includes(' ') ? contains('lower(s.name)') : null;
  if (!exact) return indexed;
  if ([...q].length < 3) return exact;
  return `(${indexed} AND ${exact})`;
}
