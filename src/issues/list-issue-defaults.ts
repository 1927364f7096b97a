import { getListIssueDefaults, setListIssueDefaults, type ListIssueDefaults } from '../db/list-issue-defaults';
import type { Pool } from '../db/pool';
import { TidingsError } from '../errors';
import { listTemplateSets } from '../render/template-sets';

/** A list's issue defaults as the API and the app name them (migrations/0040: the columns). */
export interface IssueDefaults {
  template: string | null;
  postalAddress: string | null;
  defaultName: string | null;
}

export async function readIssueDefaults(pool: Pool, slug: string): Promise<IssueDefaults> {
  const d = await getListIssueDefaults(pool, slug);
  return { template: d.template ?? null, postalAddress: d.postal_address ?? null, defaultName: d.default_name ?? null };
}

/**
 * Changes some of a list's issue defaults (`tidings list set --template/--postal-address/--default-name`, PUT
 * /api/lists/:slug/issue-defaults); '' clears one, a value not given stays. A template must be a template set.
 */
export async function changeIssueDefaults(pool: Pool, slug: string, changes: Partial<Record<keyof IssueDefaults, string>>): Promise<void> {
  if (changes.template && !(await listTemplateSets()).some((s) => s.name === changes.template)) {
    throw new TidingsError('INVALID_INPUT', `template '${changes.template}' is not a template set: see \`tidings template list\``, { field: 'template' });
  }
  const update: ListIssueDefaults = { template: changes.template, postal_address: changes.postalAddress, default_name: changes.defaultName };
  await setListIssueDefaults(pool, slug, update);
}
