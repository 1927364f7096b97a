import type { Config } from '../config';
import type { Pool } from '../db/pool';
import { getListIssueDefaults } from '../db/list-issue-defaults';
import { getListBySlug } from '../db/lists';
import { mediaStoreFor } from '../media/media-store';
import type { IssueFileOptions } from '../render/issue-file';

/**
 * How `issue create` and `issue check` read an issue file: images against this deployment's public/ and
 * media store, and what the issue leaves out from its list (with `--list`) and then from config; the list's
 * language is the issue's own (the one `issue check` and a test message without --list show).
 */
export async function issueFileOptions(config: Config, pool?: Pool, listSlug?: string): Promise<IssueFileOptions> {
  const fromList = pool && listSlug ? await getListIssueDefaults(pool, listSlug) : {};
  const list = pool && listSlug ? await getListBySlug(pool, listSlug) : undefined;
  return {
    language: list?.language,
    assetBaseUrl: config.assetBaseUrl,
    publicUrl: config.publicUrl,
    media: mediaStoreFor(config),
    defaults: { ...config.issueDefaults, ...fromList },
  };
}
