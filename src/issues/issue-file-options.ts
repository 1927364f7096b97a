import type { Config } from '../config';
import type { Pool } from '../db/pool';
import { getListIssueDefaults } from '../db/list-issue-defaults';
import { mediaStoreFor } from '../media/media-store';
import type { IssueFileOptions } from '../render/issue-file';

/**
 * How `issue create` and `issue check` read an issue file: images against this deployment's public/ and
 * media store, and what the issue leaves out from its list (with `--list`) and then from config.
 */
export async function issueFileOptions(config: Config, pool?: Pool, listSlug?: string): Promise<IssueFileOptions> {
  const fromList = pool && listSlug ? await getListIssueDefaults(pool, listSlug) : {};
  return {
    assetBaseUrl: config.assetBaseUrl,
    publicUrl: config.publicUrl,
    media: mediaStoreFor(config),
    defaults: { ...config.issueDefaults, ...fromList },
  };
}
