import { useState } from 'preact/hooks';
import { del, post, qs } from '../api';
import { Card, ConfirmDialog, Empty, ErrorBox, Loading, PageHeader, Pager, SelectField, TextField, statusLabel, toast } from '../components';
import { useApi, useDebounced, useKeysetPages } from '../hooks';
import { fmtDate, t } from '../i18n';
import { can } from '../session';

interface Suppression { id: number; email: string; reason: string; source: string; details: Record<string, unknown>; createdAt: string }

export function SuppressionsPage() {
  const [search, setSearch] = useState('');
  const [reason, setReason] = useState('');
  const paging = useKeysetPages();
  const [email, setEmail] = useState('');
  const [note, setNote] = useState('');
  const [error, setError] = useState<unknown>();
  const [removing, setRemoving] = useState<string>();
  const q = useDebounced(search.trim(), 250);
  const data = useApi<{ suppressions: Suppression[]; next: number | null }>(`/suppressions${qs({ search: q.length >= 2 ? q : undefined, reason, before: paging.before, limit: 50 })}`);

  async function add(e: Event) {
    e.preventDefault();
    try {
      await post('/suppressions', { email, note: note || undefined });
      toast(t('suppressions.added', { email }));
      setEmail('');
      setNote('');
      setError(undefined);
      data.reload();
    } catch (err) {
      setError(err);
    }
  }
  async function remove(address: string) {
    setRemoving(undefined);
    try {
      await del(`/suppressions/${encodeURIComponent(address)}`);
      toast(t('suppressions.removed', { email: address }));
      data.reload();
    } catch (err) {
      setError(err);
    }
  }
  return (
    <>
      <PageHeader title={t('nav.suppressions')} subtitle={t('suppressions.intro')} />
      {can('editor') && (
        <Card title={t('suppressions.add')}>
          <form class="row" onSubmit={add}>
            <TextField label={t('subscribers.address')} type="email" value={email} onInput={setEmail} required />
            <TextField label={t('suppressions.note')} value={note} onInput={setNote} />
            <button type="submit" class="btn primary" disabled={!email}>{t('suppressions.suppress')}</button>
          </form>
        </Card>
      )}
      <ErrorBox error={error} />
      <Card>
        <div class="filters">
          <TextField label={t('suppressions.search')} type="search" value={search} onInput={(v) => { setSearch(v); paging.reset(); }} class="grow" />
          <SelectField label={t('suppressions.reason')} value={reason} onChange={(v) => { setReason(v); paging.reset(); }} options={[{ value: '', label: t('suppressions.anyReason') }, ...['hard_bounce', 'soft_bounce', 'complaint', 'manual'].map((r) => ({ value: r, label: statusLabel(r) }))]} />
        </div>
        <ErrorBox error={data.error} />
        {!data.data ? <Loading /> : data.data.suppressions.length === 0 ? <Empty>{t('suppressions.none')}</Empty> : (
          <div class="table-wrap" tabIndex={0} role="region" aria-label={t('common.table')}>
            <table>
              <thead><tr><th scope="col">{t('subscribers.address')}</th><th scope="col">{t('suppressions.reason')}</th><th scope="col">{t('suppressions.source')}</th><th scope="col">{t('subscribers.time')}</th><th scope="col"><span class="sr-only">{t('common.actions')}</span></th></tr></thead>
              <tbody>
                {data.data.suppressions.map((s) => (
                  <tr key={s.id}>
                    <td class="break">{s.email}{typeof s.details.note === 'string' && <div class="muted small">{s.details.note}</div>}</td>
                    <td>{statusLabel(s.reason)}</td>
                    <td>{s.source}</td>
                    <td class="nowrap">{fmtDate(s.createdAt)}</td>
                    <td>{can('editor') && <button class="btn small" onClick={() => setRemoving(s.email)} aria-label={t('suppressions.removeOne', { email: s.email })}>{t('suppressions.remove')}</button>}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        <Pager {...paging.pager(data.data?.next)} />
      </Card>
      <ConfirmDialog open={removing !== undefined} title={t('suppressions.removeTitle', { email: removing ?? '' })} confirmLabel={t('suppressions.remove')} onCancel={() => setRemoving(undefined)} onConfirm={() => void remove(removing!)}>
        <p>{t('suppressions.removeBody')}</p>
      </ConfirmDialog>
    </>
  );
}
