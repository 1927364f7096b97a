import { useState } from 'preact/hooks';
import { Badge, Card, Empty, ErrorBox, Loading, PageHeader, Pager } from '../components';
import { useApi, useDebounced, useKeysetPages } from '../hooks';
import { fmtDate, t } from '../i18n';
import { qs } from '../api';
import { BASE } from '../router';
import { can } from '../session';

interface IssueRow {
  id: number;
  slug: string;
  subject: string;
  template: string;
  updatedAt: string;
  sends: Array<{ id: number; list: string; status: string; total: number; createdAt: string }>;
}

export function IssuesPage() {
  const [search, setSearch] = useState('');
  const q = useDebounced(search, 250);
  const paging = useKeysetPages();
  const data = useApi<{ issues: IssueRow[] }>(`/issues${qs({ before: paging.before, limit: 25 })}`);
  // The search narrows the page shown (by subject or slug); the pager walks through all issues.
  const needle = q.trim().toLowerCase();
  const shown = (data.data?.issues ?? []).filter((i) => !needle || i.subject.toLowerCase().includes(needle) || i.slug.includes(needle));
  const next = data.data && data.data.issues.length === 25 ? data.data.issues[24].id : null;
  return (
    <>
      <PageHeader
        title={t('nav.issues')}
        actions={can('editor') && (
          <>
            <a class="btn" href={`${BASE}/sends/new`}>{t('send.new')}</a>
            <a class="btn primary" href={`${BASE}/issues/new`}>{t('issues.new')}</a>
          </>
        )}
      />
      <Card>
        <div class="toolbar">
          <label class="sr-only" for="issue-search">{t('issues.search')}</label>
          <input id="issue-search" type="search" placeholder={t('issues.search')} value={search} onInput={(e) => { setSearch((e.target as HTMLInputElement).value); paging.reset(); }} />
        </div>
        <ErrorBox error={data.error} />
        {!data.data ? (
          <Loading />
        ) : shown.length === 0 ? (
          <Empty>{t('issues.none')}</Empty>
        ) : (
          <div class="table-wrap" tabIndex={0} role="region" aria-label={t('common.table')}>
            <table>
              <thead>
                <tr>
                  <th scope="col">{t('issues.subject')}</th>
                  <th scope="col">{t('issues.sends')}</th>
                  <th scope="col">{t('issues.updated')}</th>
                  <th scope="col"><span class="sr-only">{t('common.actions')}</span></th>
                </tr>
              </thead>
              <tbody>
                {shown.map((i) => (
                  <tr key={i.id}>
                    <td>
                      <a href={`${BASE}/issues/${encodeURIComponent(i.slug)}`}>{i.subject}</a>
                      <div class="muted small">{i.slug} · {i.template}</div>
                    </td>
                    <td>
                      {i.sends.length === 0 ? <span class="muted">{t('issues.notSent')}</span> : (
                        <ul class="plain">
                          {i.sends.slice(0, 3).map((s) => (
                            <li key={s.id}><a href={`${BASE}/sends/${s.id}`}>#{s.id} → {s.list}</a> <Badge status={s.status} /></li>
                          ))}
                        </ul>
                      )}
                    </td>
                    <td class="nowrap">{fmtDate(i.updatedAt)}</td>
                    <td class="nowrap">
                      {can('editor') && <a class="btn small" href={`${BASE}/sends/new?issue=${encodeURIComponent(i.slug)}`} aria-label={t('issues.sendThis', { subject: i.subject })}>{t('issues.send')}</a>}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        <Pager {...paging.pager(next)} />
      </Card>
    </>
  );
}
