import { useEffect, useState } from 'preact/hooks';
import { del, get, patch, post, put } from '../api';
import { LANGUAGES } from '../../i18n/languages';
import { Card, Checkbox, ConfirmDialog, Empty, ErrorBox, errorMessage, Field, Loading, PageHeader, SelectField, Stat, TextField, toast } from '../components';
import { useApi } from '../hooks';
import { fmtDate, fmtNumber, getLocale, t } from '../i18n';
import { BASE, navigate } from '../router';
import { can, publicUrl } from '../session';

interface ListRow {
  id: number;
  slug: string;
  name: string;
  doubleOptIn: boolean;
  publicArchive?: boolean;
  language?: string;
  fromName?: string | null;
  fromAddress?: string | null;
  createdAt: string;
  subscriptions: { confirmed: number; unconfirmed: number; unsubscribed: number };
}

function NewList({ onCreated }: { onCreated: () => void }) {
  const [name, setName] = useState('');
  const [slug, setSlug] = useState('');
  const [slugTouched, setSlugTouched] = useState(false);
  const [doubleOptIn, setDoubleOptIn] = useState(true);
  const [error, setError] = useState<unknown>();
  const autoSlug = name.toLowerCase().normalize('NFKD').replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 63);
  async function submit(e: Event) {
    e.preventDefault();
    try {
      await post('/lists', { name, slug: slugTouched ? slug : autoSlug, doubleOptIn });
      toast(t('lists.created', { name }));
      setName('');
      setSlug('');
      setSlugTouched(false);
      setError(undefined);
      onCreated();
    } catch (err) {
      setError(err);
    }
  }
  return (
    <Card title={t('lists.new')}>
      <form class="form" onSubmit={submit}>
        <div class="row">
          <TextField label={t('lists.name')} value={name} onInput={setName} required />
          <TextField label={t('lists.slug')} value={slugTouched ? slug : autoSlug} onInput={(v) => { setSlug(v); setSlugTouched(true); }} hint={t('lists.slugHint')} />
        </div>
        <Checkbox label={t('lists.doubleOptIn')} checked={doubleOptIn} onChange={setDoubleOptIn} hint={t('lists.doubleOptInHint')} />
        <ErrorBox error={error} />
        <div class="form-actions"><button type="submit" class="btn primary" disabled={!name.trim()}>{t('lists.create')}</button></div>
      </form>
    </Card>
  );
}

export function ListsPage() {
  const lists = useApi<{ lists: ListRow[] }>('/lists');
  return (
    <>
      <PageHeader title={t('nav.lists')} actions={can('editor') && <a class="btn" href={`${BASE}/import`}>{t('nav.import')}</a>} />
      <Card>
        <ErrorBox error={lists.error} />
        {!lists.data ? <Loading /> : lists.data.lists.length === 0 ? <Empty>{t('lists.none')}</Empty> : (
          <div class="table-wrap" tabIndex={0} role="region" aria-label={t('common.table')}>
            <table>
              <thead>
                <tr>
                  <th scope="col">{t('lists.name')}</th>
                  <th scope="col" class="num">{t('status.confirmed')}</th>
                  <th scope="col" class="num">{t('status.unconfirmed')}</th>
                  <th scope="col" class="num">{t('status.unsubscribed')}</th>
                  <th scope="col">{t('lists.optIn')}</th>
                </tr>
              </thead>
              <tbody>
                {lists.data.lists.map((l) => (
                  <tr key={l.id}>
                    <td><a href={`${BASE}/lists/${l.slug}`}>{l.name}</a><div class="muted small">{l.slug}</div></td>
                    <td class="num" data-testid={`confirmed-${l.slug}`}>{fmtNumber(l.subscriptions.confirmed)}</td>
                    <td class="num">{fmtNumber(l.subscriptions.unconfirmed)}</td>
                    <td class="num" data-testid={`unsubscribed-${l.slug}`}>{fmtNumber(l.subscriptions.unsubscribed)}</td>
                    <td>{l.doubleOptIn ? t('lists.double') : t('lists.single')}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </Card>
      {can('editor') && <NewList onCreated={lists.reload} />}
    </>
  );
}

export function formSnippet(list: { slug: string; name: string }, base: string): string {
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
  return `<form method="post" action="${esc(base)}/subscribe">
  <input type="hidden" name="list" value="${esc(list.slug)}">
  <label>Email <input type="email" name="email" required autocomplete="email"></label>
  <label>Name <input type="text" name="name" autocomplete="name"></label>
  <!-- leave empty: bots fill it in -->
  <input type="text" name="website" tabindex="-1" autocomplete="off" style="position:absolute;left:-5000px" aria-hidden="true">
  <button type="submit">Subscribe to ${esc(list.name)}</button>
</form>`;
}

interface IssueDefaults {
  template: string | null;
  postalAddress: string | null;
  defaultName: string | null;
}

function languageName(tag: string): string {
  try {
    return new Intl.DisplayNames([getLocale()], { type: 'language' }).of(tag) ?? tag;
  } catch {
    return tag;
  }
}

/** Name, readers' language, From, opt-in, archive: PATCH /api/lists/:slug. */
function ListSettings({ list, onSaved }: { list: ListRow; onSaved: () => void }) {
  const [form, setForm] = useState({ name: list.name, language: list.language ?? 'en', fromName: list.fromName ?? '', fromAddress: list.fromAddress ?? '', doubleOptIn: list.doubleOptIn, publicArchive: list.publicArchive ?? true });
  const [error, setError] = useState<unknown>();
  const [confirmDelete, setConfirmDelete] = useState(false);
  const editable = can('editor');
  const set = <K extends keyof typeof form>(key: K) => (value: (typeof form)[K]) => setForm((f) => ({ ...f, [key]: value }));
  async function save(e: Event) {
    e.preventDefault();
    try {
      await patch(`/lists/${list.slug}`, form);
      toast(t('common.saved'));
      setError(undefined);
      onSaved();
    } catch (err) {
      setError(err);
    }
  }
  async function remove() {
    try {
      await del(`/lists/${list.slug}`);
      toast(t('lists.deleted', { name: list.name }));
      navigate('/lists');
    } catch (err) {
      setConfirmDelete(false);
      setError(err);
    }
  }
  return (
    <>
      <form class="form" onSubmit={save} data-testid="list-settings">
        <TextField label={t('lists.name')} value={form.name} onInput={set('name')} required />
        <SelectField label={t('lists.language')} hint={t('lists.languageHint')} value={form.language} onChange={set('language')}
          options={LANGUAGES.map((tag) => ({ value: tag, label: `${languageName(tag)} (${tag})` }))} />
        <div class="row">
          <TextField label={t('lists.fromName')} value={form.fromName} onInput={set('fromName')} />
          <TextField label={t('lists.fromAddress')} type="email" value={form.fromAddress} onInput={set('fromAddress')} autoComplete="off" />
        </div>
        <p class="small muted">{t('lists.fromHint')}</p>
        <Checkbox label={t('lists.doubleOptIn')} checked={form.doubleOptIn} onChange={set('doubleOptIn')} hint={t('lists.doubleOptInHint')} />
        <Checkbox label={t('lists.publicArchive')} checked={form.publicArchive} onChange={set('publicArchive')} hint={t('lists.publicArchiveHint')} />
        <ErrorBox error={error} />
        {editable && <div class="form-actions"><button class="btn primary" type="submit">{t('common.save')}</button><button type="button" class="btn danger ghost" onClick={() => setConfirmDelete(true)}>{t('lists.delete')}</button></div>}
      </form>
      <ConfirmDialog open={confirmDelete} danger title={t('lists.deleteTitle', { name: list.name })} confirmLabel={t('lists.delete')} onCancel={() => setConfirmDelete(false)} onConfirm={() => void remove()}>
        <p>{t('lists.deleteBody')}</p>
      </ConfirmDialog>
    </>
  );
}

/** What issues written for the list may leave out: PUT /api/lists/:slug/issue-defaults. */
function IssueDefaultsForm({ slug }: { slug: string }) {
  const loaded = useApi<IssueDefaults>(`/lists/${slug}/issue-defaults`);
  const templates = useApi<{ templates: string[] }>('/templates');
  const [form, setForm] = useState<{ template: string; postalAddress: string; defaultName: string } | undefined>();
  const [error, setError] = useState<unknown>();
  useEffect(() => {
    if (loaded.data) setForm({ template: loaded.data.template ?? '', postalAddress: loaded.data.postalAddress ?? '', defaultName: loaded.data.defaultName ?? '' });
  }, [loaded.data]);
  if (loaded.error) return <ErrorBox error={loaded.error} />;
  if (!form) return <Loading />;
  const set = (key: keyof typeof form) => (value: string) => setForm((f) => ({ ...f!, [key]: value }));
  async function save(e: Event) {
    e.preventDefault();
    try {
      await put(`/lists/${slug}/issue-defaults`, form);
      toast(t('common.saved'));
      setError(undefined);
      loaded.reload();
    } catch (err) {
      setError(err);
    }
  }
  const names = templates.data?.templates ?? [];
  return (
    <form class="form" onSubmit={save} data-testid="issue-defaults">
      <p class="muted small">{t('lists.defaultsHint')}</p>
      <SelectField label={t('lists.template')} value={form.template} onChange={set('template')}
        options={[{ value: '', label: t('lists.templateConfig') }, ...[...new Set([...names, ...(form.template ? [form.template] : [])])].map((name) => ({ value: name, label: name }))]} />
      <Field label={t('lists.postalAddress')} hint={t('lists.postalAddressHint')}>
        {(id, describedBy) => <textarea id={id} rows={3} value={form.postalAddress} aria-describedby={describedBy} onInput={(e) => set('postalAddress')((e.target as HTMLTextAreaElement).value)} />}
      </Field>
      <TextField label={t('lists.defaultName')} value={form.defaultName} onInput={set('defaultName')} hint={t('lists.defaultNameHint')} />
      <ErrorBox error={error} />
      {can('editor') && <div class="form-actions"><button class="btn primary" type="submit">{t('lists.saveDefaults')}</button></div>}
    </form>
  );
}

export function ListPage({ params }: { params: Record<string, string> }) {
  const list = useApi<ListRow>(`/lists/${params.slug}`);
  const tracking = useApi<{ tracking: boolean }>(`/lists/${params.slug}/tracking`);
  if (list.error) return <ErrorBox error={list.error} />;
  if (!list.data) return <Loading />;
  const l = list.data;
  const editable = can('editor');
  async function setTracking(on: boolean) {
    try {
      await put(`/lists/${l.slug}/tracking`, { tracking: on });
      tracking.reload();
      toast(on ? t('lists.trackingOn') : t('lists.trackingOff'));
    } catch (err) {
      toast(errorMessage(err));
    }
  }
  const snippet = formSnippet(l, publicUrl);
  return (
    <>
      <PageHeader title={l.name} back={{ href: `${BASE}/lists`, label: t('nav.lists') }} subtitle={`${l.slug} · ${t('lists.since', { date: fmtDate(l.createdAt, false) })}`}
        actions={<><a class="btn" href={`${BASE}/subscribers?list=${l.slug}`}>{t('nav.subscribers')}</a>{editable && <a class="btn primary" href={`${BASE}/sends/new?list=${l.slug}`}>{t('send.new')}</a>}</>} />
      <div class="stats">
        <Stat label={t('status.confirmed')} value={fmtNumber(l.subscriptions.confirmed)} />
        <Stat label={t('status.unconfirmed')} value={fmtNumber(l.subscriptions.unconfirmed)} />
        <Stat label={t('status.unsubscribed')} value={fmtNumber(l.subscriptions.unsubscribed)} />
      </div>
      <div class="grid-2">
        <Card title={t('lists.settings')}>
          <ListSettings key={l.id} list={l} onSaved={list.reload} />
          <h3>{t('lists.tracking')}</h3>
          {tracking.data && (
            <Checkbox label={t('lists.trackingLabel')} checked={tracking.data.tracking} onChange={(v) => editable && void setTracking(v)} hint={t('lists.trackingHint')} />
          )}
        </Card>
        <div>
          <Card title={t('lists.defaults')}>
            <IssueDefaultsForm slug={l.slug} />
          </Card>
          <Card title={t('lists.form')}>
            <p class="muted small">{t('lists.formHint')}</p>
            <label for="snippet" class="sr-only">{t('lists.form')}</label>
            <textarea id="snippet" class="code" readOnly rows={9} value={snippet} />
            <div class="form-actions">
              <button type="button" class="btn" onClick={() => void navigator.clipboard?.writeText(snippet).then(() => toast(t('common.copied')))}>{t('common.copy')}</button>
              <a class="btn ghost" href={`${publicUrl}/subscribe/${l.slug}`} target="_blank" rel="noopener">{t('lists.formPage')}</a>
            </div>
          </Card>
        </div>
      </div>
    </>
  );
}

export async function loadLists(): Promise<ListRow[]> {
  return (await get<{ lists: ListRow[] }>('/lists')).lists;
}
