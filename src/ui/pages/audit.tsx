import { useState } from 'preact/hooks';
import { qs } from '../api';
import { Card, Empty, ErrorBox, Loading, PageHeader, Pager, SelectField } from '../components';
import { useApi, useKeysetPages } from '../hooks';
import { fmtDate, t } from '../i18n';

interface Entry { id: number; at: string; actor: string; action: string; target: string; details: Record<string, unknown>; ip: string | null }

const AREAS = ['', 'session', 'operators', 'issues', 'sends', 'lists', 'subscribers', 'imports', 'segments', 'suppressions'];

export function AuditPage() {
  const [area, setArea] = useState('');
  const paging = useKeysetPages();
  const data = useApi<{ entries: Entry[]; next: number | null }>(`/audit${qs({ action: area ? `${area}.` : undefined, before: paging.before, limit: 50 })}`);
  return (
    <>
      <PageHeader title={t('nav.audit')} subtitle={t('audit.intro')} />
      <Card>
        <div class="filters">
          <SelectField label={t('audit.area')} value={area} onChange={(v) => { setArea(v); paging.reset(); }} options={AREAS.map((a) => ({ value: a, label: a ? a : t('audit.everything') }))} />
        </div>
        <ErrorBox error={data.error} />
        {!data.data ? <Loading /> : data.data.entries.length === 0 ? <Empty>{t('audit.none')}</Empty> : (
          <div class="table-wrap" tabIndex={0} role="region" aria-label={t('common.table')}>
            <table>
              <thead><tr><th scope="col">{t('subscribers.time')}</th><th scope="col">{t('audit.who')}</th><th scope="col">{t('audit.action')}</th><th scope="col">{t('audit.what')}</th></tr></thead>
              <tbody>
                {data.data.entries.map((e) => (
                  <tr key={e.id}>
                    <td class="nowrap">{fmtDate(e.at)}</td>
                    <td class="break">{e.actor}{e.ip && <div class="muted small">{e.ip}</div>}</td>
                    <td><code>{e.action}</code></td>
                    <td class="break small">{e.target}{Object.keys(e.details).length > 0 && <div class="muted">{JSON.stringify(e.details)}</div>}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        <Pager {...paging.pager(data.data?.next)} />
      </Card>
    </>
  );
}
