import { useEffect, useState } from 'preact/hooks';
import { del, patch, post, qs } from '../api';
import { Alert, Badge, Card, ConfirmDialog, Empty, ErrorBox, errorMessage, Loading, PageHeader, Pager, SelectField, TextField, toast } from '../components';
import { useApi, useDebounced, useKeysetPages } from '../hooks';
import { fmtDate, fmtNumber, t } from '../i18n';
import { BASE, navigate } from '../router';
import { can } from '../session';

interface Row { id: number; email: string; name: string; status: string; createdAt: string; lists: Array<{ list: string; status: string }> }
type Bulk = 'block' | 'unblock' | 'unsubscribe' | 'subscribe' | 'delete';

export function SubscribersPage({ query }: { query: URLSearchParams }) {
  const [q, setQ] = useState(query.get('q') ?? '');
  const [list, setList] = useState(query.get('list') ?? '');
  const [subscription, setSubscription] = useState(query.get('subscription') ?? '');
  const [state, setState] = useState(query.get('state') ?? '');
  const [attribute, setAttribute] = useState('');
  const paging = useKeysetPages();
  const [selected, setSelected] = useState<Set<number>>(new Set());
  const [bulk, setBulk] = useState<Bulk>('block');
  const [bulkList, setBulkList] = useState('');
  const [confirm, setConfirm] = useState<'selected' | 'all' | undefined>();
  const [error, setError] = useState<unknown>();
  const search = useDebounced(q.trim(), 250);
  const attr = useDebounced(attribute.includes('=') ? attribute : '', 400);
  const filter = { q: search || undefined, list: list || undefined, subscription: subscription || undefined, state: state || undefined, attribute: attr || undefined };
  const lists = useApi<{ lists: Array<{ slug: string; name: string }> }>('/lists');
  const data = useApi<{ subscribers: Row[]; next: number | null }>(`/subscribers/browse${qs({ ...filter, before: paging.before, limit: 50 })}`);
  useEffect(() => {
    paging.reset();
    setSelected(new Set());
  }, [search, list, subscription, state, attr]);
  const rows = data.data?.subscribers ?? [];

  async function runBulk() {
    const body = { action: bulk, list: bulkList || undefined, ...(confirm === 'selected' ? { ids: [...selected] } : { filter }) };
    setConfirm(undefined);
    try {
      const r = await post<{ affected: number }>('/subscribers/bulk', body);
      toast(t('subscribers.bulkDone', { n: fmtNumber(r.affected) }));
      setSelected(new Set());
      data.reload();
    } catch (err) {
      setError(err);
    }
  }

  const listOptions = [{ value: '', label: t('subscribers.anyList') }, ...(lists.data?.lists ?? []).map((l) => ({ value: l.slug, label: l.name }))];
  const needsList = bulk === 'unsubscribe' || bulk === 'subscribe';
  return (
    <>
      <PageHeader title={t('nav.subscribers')} actions={can('editor') && <a class="btn" href={`${BASE}/import`}>{t('nav.import')}</a>} />
      <Card>
        <form class="filters" role="search" onSubmit={(e) => e.preventDefault()}>
          <TextField label={t('subscribers.search')} type="search" value={q} onInput={setQ} placeholder={t('subscribers.searchHint')} class="grow" />
          <SelectField label={t('send.list')} value={list} onChange={setList} options={listOptions} />
          <SelectField label={t('subscribers.subscription')} value={subscription} onChange={setSubscription} options={[{ value: '', label: t('subscribers.anyStatus') }, ...['confirmed', 'unconfirmed', 'unsubscribed'].map((s) => ({ value: s, label: t(`status.${s}` as never) }))]} />
          <SelectField label={t('subscribers.state')} value={state} onChange={setState} options={[{ value: '', label: t('subscribers.anyState') }, { value: 'active', label: t('status.active') }, { value: 'blocked', label: t('status.blocked') }]} />
          <TextField label={t('subscribers.attribute')} value={attribute} onInput={setAttribute} placeholder="city=Berlin" />
        </form>
        <ErrorBox error={data.error ?? error} />
        {can('editor') && (
          <div class="bulk">
            <SelectField label={t('subscribers.bulkAction')} value={bulk} onChange={(v) => setBulk(v as Bulk)} options={(['block', 'unblock', 'subscribe', 'unsubscribe', 'delete'] as const).map((a) => ({ value: a, label: t(`subscribers.bulk.${a}` as never) }))} />
            {needsList && <SelectField label={t('send.list')} value={bulkList} onChange={setBulkList} options={[{ value: '', label: t('subscribers.chooseList') }, ...listOptions.slice(1)]} />}
            <button type="button" class="btn" disabled={selected.size === 0 || (needsList && !bulkList)} onClick={() => setConfirm('selected')}>{t('subscribers.applySelected', { n: selected.size })}</button>
            <button type="button" class="btn" disabled={(needsList && !bulkList) || rows.length === 0} onClick={() => setConfirm('all')}>{t('subscribers.applyAll')}</button>
          </div>
        )}
        {!data.data ? <Loading /> : rows.length === 0 ? <Empty>{t('subscribers.none')}</Empty> : (
          <div class="table-wrap" tabIndex={0} role="region" aria-label={t('common.table')}>
            <table>
              <thead>
                <tr>
                  {can('editor') && (
                    <th scope="col" class="check-col">
                      <input type="checkbox" aria-label={t('subscribers.selectPage')} checked={rows.length > 0 && rows.every((r) => selected.has(r.id))} onChange={(e) => setSelected((e.target as HTMLInputElement).checked ? new Set(rows.map((r) => r.id)) : new Set())} />
                    </th>
                  )}
                  <th scope="col">{t('subscribers.address')}</th>
                  <th scope="col">{t('subscribers.name')}</th>
                  <th scope="col">{t('nav.lists')}</th>
                  <th scope="col">{t('subscribers.state')}</th>
                  <th scope="col">{t('subscribers.added')}</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((r) => (
                  <tr key={r.id}>
                    {can('editor') && (
                      <td class="check-col">
                        <input type="checkbox" aria-label={t('subscribers.select', { email: r.email })} checked={selected.has(r.id)} onChange={(e) => { const next = new Set(selected); if ((e.target as HTMLInputElement).checked) next.add(r.id); else next.delete(r.id); setSelected(next); }} />
                      </td>
                    )}
                    <td class="break"><a href={`${BASE}/subscribers/${r.id}`}>{r.email}</a></td>
                    <td>{r.name}</td>
                    <td>{r.lists.map((l) => <span key={l.list} class="tag">{l.list}: {t(`status.${l.status}` as never)}</span>)}</td>
                    <td><Badge status={r.status} /></td>
                    <td class="nowrap">{fmtDate(r.createdAt, false)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        <Pager {...paging.pager(data.data?.next)} />
      </Card>
      <ConfirmDialog open={confirm !== undefined} danger={bulk === 'delete' || bulk === 'block'} title={t('subscribers.bulkConfirmTitle')} confirmLabel={t(`subscribers.bulk.${bulk}` as never)} onCancel={() => setConfirm(undefined)} onConfirm={() => void runBulk()}>
        <p>{confirm === 'selected' ? t('subscribers.bulkConfirmSelected', { n: selected.size }) : t('subscribers.bulkConfirmAll')}</p>
        {bulk === 'delete' && <Alert kind="warning">{t('subscribers.deleteWarning')}</Alert>}
      </ConfirmDialog>
    </>
  );
}

interface Detail { id: number; email: string; name: string; status: string; attributes: Record<string, unknown>; createdAt: string; subscriptions: Array<{ list: string; status: string; createdAt: string }> }
interface Activity {
  deliveries: Array<{ id: number; sendId: number; subject: string; list: string; status: string; attempts: number; smtpResponse: string | null; sentAt: string | null; queuedAt: string }>;
  events: Array<{ id: number; type: string; list: string | null; occurredAt: string; data: Record<string, unknown>; machine: boolean }>;
  suppression: { reason: string; source: string; createdAt: string } | null;
}

export function SubscriberPage({ params }: { params: Record<string, string> }) {
  const id = Number(params.id);
  const sub = useApi<Detail>(`/subscribers/${id}`);
  const activity = useApi<Activity>(`/subscribers/${id}/activity`);
  const [name, setName] = useState('');
  const [attrs, setAttrs] = useState('');
  const [error, setError] = useState<unknown>();
  const [confirmDelete, setConfirmDelete] = useState(false);
  useEffect(() => {
    if (sub.data) {
      setName(sub.data.name);
      setAttrs(JSON.stringify(sub.data.attributes, null, 2));
    }
  }, [sub.data]);
  if (sub.error) return <ErrorBox error={sub.error} />;
  if (!sub.data) return <Loading />;
  const s = sub.data;
  const editable = can('editor');

  async function act(fn: () => Promise<unknown>, message: string) {
    try {
      await fn();
      toast(message);
      setError(undefined);
      sub.reload();
      activity.reload();
    } catch (err) {
      setError(err);
    }
  }
  function saveDetails(e: Event) {
    e.preventDefault();
    let attributes: Record<string, unknown>;
    try {
      attributes = JSON.parse(attrs || '{}') as Record<string, unknown>;
    } catch {
      return setError(new Error(t('subscribers.attributesInvalid')));
    }
    void act(() => patch(`/subscribers/${id}`, { name, attributes, replaceAttributes: true }), t('common.saved'));
  }
  return (
    <>
      <PageHeader
        title={s.email}
        back={{ href: `${BASE}/subscribers`, label: t('nav.subscribers') }}
        subtitle={<>{s.name && <>{s.name} · </>}<Badge status={s.status} /> · {t('subscribers.addedOn', { date: fmtDate(s.createdAt) })}</>}
        actions={
          <>
            <a class="btn" href={`/api/subscribers/${id}/data`} download>{t('subscribers.export')}</a>
            {editable && (s.status === 'blocked'
              ? <button class="btn" onClick={() => void act(() => post(`/subscribers/${id}/unblock`), t('subscribers.unblocked'))}>{t('subscribers.unblock')}</button>
              : <button class="btn" onClick={() => void act(() => post(`/subscribers/${id}/block`), t('subscribers.blocked'))}>{t('subscribers.block')}</button>)}
            {editable && <button class="btn danger" onClick={() => setConfirmDelete(true)}>{t('subscribers.delete')}</button>}
          </>
        }
      />
      <ErrorBox error={error} />
      {activity.data?.suppression && <Alert kind="warning">{t('subscribers.suppressedNote', { reason: t(`status.${activity.data.suppression.reason}` as never), date: fmtDate(activity.data.suppression.createdAt) })}</Alert>}
      <div class="grid-2">
        <Card title={t('subscribers.details')}>
          <form class="form" onSubmit={saveDetails}>
            <TextField label={t('subscribers.name')} value={name} onInput={setName} />
            <div class="field">
              <label for="attrs">{t('subscribers.attributes')}</label>
              <textarea id="attrs" class="code" rows={6} value={attrs} onInput={(e) => setAttrs((e.target as HTMLTextAreaElement).value)} readOnly={!editable} />
            </div>
            {editable && <div class="form-actions"><button type="submit" class="btn primary">{t('common.save')}</button></div>}
          </form>
        </Card>
        <Card title={t('subscribers.subscriptions')}>
          {s.subscriptions.length === 0 ? <Empty>{t('subscribers.noSubscriptions')}</Empty> : (
            <ul class="plain">
              {s.subscriptions.map((x) => (
                <li key={x.list} class="row-between">
                  <span><a href={`${BASE}/lists/${x.list}`}>{x.list}</a> <Badge status={x.status} /> <span class="muted small">{fmtDate(x.createdAt, false)}</span></span>
                  {editable && x.status !== 'unsubscribed' && <button class="btn small" onClick={() => void act(() => post(`/subscribers/${id}/unsubscribe`, { list: x.list }), t('subscribers.unsubscribed'))} aria-label={t('subscribers.unsubscribeFrom', { list: x.list })}>{t('subscribers.unsubscribe')}</button>}
                </li>
              ))}
            </ul>
          )}
        </Card>
      </div>
      <Card title={t('subscribers.deliveries')}>
        {!activity.data ? <Loading /> : activity.data.deliveries.length === 0 ? <Empty>{t('subscribers.noDeliveries')}</Empty> : (
          <div class="table-wrap" tabIndex={0} role="region" aria-label={t('common.table')}>
            <table>
              <thead><tr><th scope="col">{t('send.issue')}</th><th scope="col">{t('common.status')}</th><th scope="col">{t('subscribers.reply')}</th><th scope="col">{t('subscribers.time')}</th></tr></thead>
              <tbody>
                {activity.data.deliveries.map((d) => (
                  <tr key={d.id}>
                    <td><a href={`${BASE}/sends/${d.sendId}`}>{d.subject}</a><div class="muted small">{d.list}</div></td>
                    <td><Badge status={d.status} />{d.attempts > 1 && <span class="muted small"> ×{d.attempts}</span>}</td>
                    <td class="break small">{d.smtpResponse ?? '–'}</td>
                    <td class="nowrap">{fmtDate(d.sentAt ?? d.queuedAt)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Card>
      <Card title={t('subscribers.events')}>
        {!activity.data ? <Loading /> : activity.data.events.length === 0 ? <Empty>{t('subscribers.noEvents')}</Empty> : (
          <div class="table-wrap" tabIndex={0} role="region" aria-label={t('common.table')}>
            <table>
              <thead><tr><th scope="col">{t('subscribers.event')}</th><th scope="col">{t('send.list')}</th><th scope="col">{t('subscribers.eventDetail')}</th><th scope="col">{t('subscribers.time')}</th></tr></thead>
              <tbody>
                {activity.data.events.map((e) => (
                  <tr key={e.id}>
                    <td>{t(`event.${e.type}` as never)}{e.machine && <span class="muted small"> ({t('subscribers.machine')})</span>}</td>
                    <td>{e.list ?? '–'}</td>
                    <td class="break small">{Object.entries(e.data).map(([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`).join(' · ') || '–'}</td>
                    <td class="nowrap">{fmtDate(e.occurredAt)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Card>
      <ConfirmDialog open={confirmDelete} danger title={t('subscribers.deleteTitle', { email: s.email })} confirmLabel={t('subscribers.delete')} onCancel={() => setConfirmDelete(false)}
        onConfirm={() => void del(`/subscribers/${id}`).then(() => { toast(t('subscribers.deleted')); navigate('/subscribers'); }, (err) => { setConfirmDelete(false); setError(err); })}>
        <p>{t('subscribers.deleteBody')}</p>
      </ConfirmDialog>
    </>
  );
}
