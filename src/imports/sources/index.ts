import { TidingsError } from '../../errors';
import { beehiiv } from './beehiiv';
import { buttondown } from './buttondown';
import { csv } from './csv';
import { ghost } from './ghost';
import { kit } from './kit';
import { listmonk } from './listmonk';
import { mailchimp } from './mailchimp';
import { Header, IMPORT_SOURCES, type ImportSource, type MappingContext, type RowMapping, type SourceShape } from './shape';
import { substack } from './substack';

export { IMPORT_SOURCES, type ImportSource, type MappedRow, type RowMapping } from './shape';

/** Asked in this order: the most specific headers first, the plain CSV last (it takes any header with an email column). */
const SHAPES: readonly SourceShape[] = [listmonk, mailchimp, ghost, substack, beehiiv, buttondown, kit, csv];

export interface ImportPlan {
  source: ImportSource;
  label: string;
  /** True when the shape was recognised from the header, false when `--from` named it. */
  detected: boolean;
  map: (fields: string[]) => RowMapping;
  /** The header's column names. */
  columns: string[];
}

/** How to read the rows under this header: the shape `--from` names, or the one the header is recognised as. */
export function planImport(headerFields: string[], context: MappingContext & { from?: ImportSource }): ImportPlan {
  const header = new Header(headerFields);
  let shape: SourceShape;
  if (context.from) {
    const named = SHAPES.find((s) => s.source === context.from);
    if (!named) throw new TidingsError('INVALID_INPUT', `unknown import source '${context.from}' (use ${IMPORT_SOURCES.join(', ')})`);
    shape = named;
  } else {
    shape = SHAPES.find((s) => s.recognises(header))!;
  }
  if (shape.source !== 'csv' && header.index(...shape.emailColumns) < 0) {
    throw new TidingsError('CSV_INVALID', `line 1: this is not a ${shape.label}: the header has no email column (found: ${header.names.join(', ') || 'nothing'})`, { line: 1 });
  }
  return { source: shape.source, label: shape.label, detected: !context.from, map: shape.mapper(header, context), columns: header.names };
}
