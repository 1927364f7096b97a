import { useEffect, useState } from 'preact/hooks';
import { del, post, put } from '../api';
import { Card, ConfirmDialog, Empty, ErrorBox, Loading, PageHeader, SelectField, TextField, toast } from '../components';
import { useApi, useDebounced } from '../hooks';
import { fmtNumber, t, type Key } from '../i18n';
import { BASE } from '../router';
import { can } from '../session';

type Field = 'attribute' | 'email' | 'name' | 'subscribed' | 'engagement';
interface Condition { field: Field; op: string; key?: string; value?: string; days?: number }
interface Definition { match: 'all' | 'any'; conditions: Condition[] }
interface Segment { id: number; name: string; listId: number | null; list: string | null; definition: Definition }

const OPS: Record<Field, string[]> = {
  attribute: ['eq', 'neq', 'contains', 'exists', 'missing'],
  email: ['contains', 'ends_with', 'eq', 'not_contains'],
  name: ['contains', 'eq', 'not_contains'],
  subscribed: ['within_days', 'before_days', 'after', 'before'],
  engagement: ['opened', 'clicked', 'not_opened', 'not_clicked'],
};

function blank(field: Field): Condition {
  if (field === 'engagement') return { field, op: 'opened', days: 30 };
  if (field === 'subscribed') return { field, op: 'within_days', value: '30' };
  return { field, op: OPS[field][0], key: field === 'attribute' ? '' : undefined, value: '' };
}

function clean(c: Condition): Condition {
  if (c.field === 'engagement') return { field: c.field, op: c.op, days: Number(c.days) || 1 };
  if (c.field === 'attribute') return { field: c.field, op: c.op, key: c.key ?? '', value: c.value ?? '' };
  return { field: c.field, op: c.op, value: c.value ?? '' };
}

function ConditionRow({ c, index, onChange, onRemove }: { c: Condition; index: number; onChange: (c: Condition) => void; onRemove: () => void }) {
  const n = index + 1;
  const needsValue = !(c.field === 'attribute' && (c.op === 'exists' || c.op === 'missing')) && c.field !== 'engagement';
  return (
    <fieldset class="condition">
      <legend class="sr-only">{t('segments.condition', { n })}</legend>
      <SelectField label={t('segments.field')} value={c.field} onChange={(f) => onChange(blank(f as Field))} options={(Object.keys(OPS) as Field[]).map((f) => ({ value: f, label: t(`segments.field.${f}` as Key) }))} />
      {c.field === 'attribute' && <TextField label={t('segments.key')} value={c.key ?? ''} onInput={(v) => onChange({ ...c, key: v })} placeholder="city" />}
      <SelectField label={t('segments.op')} value={c.op} onChange={(op) => onChange({ ...c, op, value: c.field === 'subscribed' ? (op.endsWith('_days') ? '30' : new Date().toISOString().slice(0, 10)) : c.value })} options={OPS[c.field].map((op) => ({ value: op, label: t(`segments.op.${op}` as Key) }))} />
      {needsValue && (
        <TextField
          label={c.field === 'subscribed' ? (c.op.endsWith('_days') ? t('segments.days') : t('segments.date')) : t('segments.value')}
          type={c.field === 'subscribed' ? (c.op.endsWith('_days') ? 'number' : 'date') : 'text'}
          value={c.value ?? ''}
          onInput={(v) => onChange({ ...c, value: v })}
        />
      )}
      {c.field === 'engagement' && <TextField label={t('segments.days')} type="number" value={String(c.days ?? 30)} onInput={(v) => onChange({ ...c, days: Number(v) })} />}
      <button type="button" class="btn ghost small" onClick={onRemove} aria-label={t('segments.removeCondition', { n })}>✕</button>
    </fieldset>
  );
}

function Editor({ segment, lists, onSaved }: { segment?: Segment; lists: Array<{ id: number; slug: string; name: string }>; onSaved: () => void }) {
  const [name, setName] = useState(segment?.name ?? '');
  const [list, setList] = useState(segment?.list ?? lists[0]?.slug ?? '');
  const [anyList, setAnyList] = useState(segment ? segment.list === null : false);
  const [def, setDef] = useState<Definition>(segment?.definition ?? { match: 'all', conditions: [blank('engagement')] });
  const [count, setCount] = useState<number | undefined>();
  const [countError, setCountError] = useState<unknown>();
  const [error, setError] = useState<unknown>();
  const debounced = useDebounced(JSON.stringify({ list, def }), 300);
  useEffect(() => {
    if (!list || def.conditions.length === 0) return setCount(undefined);
    let current = true;
    post<{ count: number }>('/segments/count', { list, definition: { ...def, conditions: def.conditions.map(clean) } }).then(
      (r) => { if (current) { setCount(r.count); setCountError(undefined); } },
      (err) => { if (current) { setCount(undefined); setCountError(err); } },
    );
    return () => {
      current = false;
    };
  }, [debounced]);

  async function save(e: Event) {
    e.preventDefault();
    const body = { name, list: anyList ? null : list, definition: { ...def, conditions: def.conditions.map(clean) } };
    try {
      if (segment) await put(`/segments/${segment.id}`, body);
      else await post('/segments', body);
      toast(t('common.saved'));
      setError(undefined);
      onSaved();
    } catch (err) {
      setError(err);
    }
  }
  return (
    <form class="form" onSubmit={save}>
      <div class="row">
        <TextField label={t('segments.name')} value={name} onInput={setName} required />
        <SelectField label={t('segments.countOn')} value={list} onChange={setList} options={lists.map((l) => ({ value: l.slug, label: l.name }))} />
      </div>
      <label class="check-inline"><input type="checkbox" checked={anyList} onChange={(e) => setAnyList((e.target as HTMLInputElement).checked)} /> {t('segments.anyList')}</label>
      <fieldset class="radios">
        <legend>{t('segments.match')}</legend>
        <label><input type="radio" name={`match-${segment?.id ?? 'new'}`} checked={def.match === 'all'} onChange={() => setDef({ ...def, match: 'all' })} /> {t('segments.all')}</label>
        <label><input type="radio" name={`match-${segment?.id ?? 'new'}`} checked={def.match === 'any'} onChange={() => setDef({ ...def, match: 'any' })} /> {t('segments.any')}</label>
      </fieldset>
      {def.conditions.map((c, i) => (
        <ConditionRow key={i} c={c} index={i} onChange={(nc) => setDef({ ...def, conditions: def.conditions.map((x, j) => (j === i ? nc : x)) })} onRemove={() => setDef({ ...def, conditions: def.conditions.filter((_, j) => j !== i) })} />
      ))}
      <div class="form-actions">
        <button type="button" class="btn" onClick={() => setDef({ ...def, conditions: [...def.conditions, blank('attribute')] })}>{t('segments.addCondition')}</button>
      </div>
      <p class="recipients" aria-live="polite" data-testid="segment-count">
        {countError ? '' : count === undefined ? t('common.counting') : t('segments.matches', { n: fmtNumber(count), list })}
      </p>
      <ErrorBox error={error ?? countError} />
      {can('editor') && <div class="form-actions"><button type="submit" class="btn primary" disabled={!name.trim() || def.conditions.length === 0}>{t('common.save')}</button></div>}
    </form>
  );
}

export function SegmentsPage() {
  const segments = useApi<{ segments: Segment[] }>('/segments');
  const lists = useApi<{ lists: Array<{ id: number; slug: string; name: string }> }>('/lists');
  const [editing, setEditing] = useState<number | 'new' | undefined>();
  const [deleting, setDeleting] = useState<Segment>();
  if (segments.error || lists.error) return <ErrorBox error={segments.error ?? lists.error} />;
  if (!segments.data || !lists.data) return <Loading />;
  return (
    <>
      <PageHeader title={t('nav.segments')} subtitle={t('segments.intro')} actions={can('editor') && <button class="btn primary" onClick={() => setEditing('new')}>{t('segments.new')}</button>} />
      {editing === 'new' && (
        <Card title={t('segments.new')}>
          {lists.data.lists.length === 0 ? <Empty>{t('lists.none')}</Empty> : <Editor lists={lists.data.lists} onSaved={() => { setEditing(undefined); segments.reload(); }} />}
        </Card>
      )}
      {segments.data.segments.length === 0 && editing !== 'new' && <Card><Empty>{t('segments.none')}</Empty></Card>}
      {segments.data.segments.map((s) => (
        <Card key={s.id} title={s.name} actions={
          <>
            <span class="muted small">{s.list ?? t('segments.anyList')}</span>
            {can('editor') && <a class="btn small" href={`${BASE}/sends/new?segment=${s.id}${s.list ? `&list=${s.list}` : ''}`}>{t('issues.send')}</a>}
            {can('editor') && <button class="btn small" onClick={() => setEditing(editing === s.id ? undefined : s.id)} aria-expanded={editing === s.id}>{t('common.edit')}</button>}
            {can('editor') && <button class="btn small danger ghost" onClick={() => setDeleting(s)}>{t('common.delete')}</button>}
          </>
        }>
          {editing === s.id ? <Editor segment={s} lists={lists.data!.lists} onSaved={() => { setEditing(undefined); segments.reload(); }} /> : (
            <p class="muted">{s.definition.conditions.map((c) => `${t(`segments.field.${c.field}` as Key)} ${c.key ?? ''} ${t(`segments.op.${c.op}` as Key)} ${c.value ?? c.days ?? ''}`.replace(/\s+/g, ' ')).join(s.definition.match === 'all' ? ` ${t('segments.and')} ` : ` ${t('segments.or')} `)}</p>
          )}
        </Card>
      ))}
      <ConfirmDialog open={deleting !== undefined} danger title={t('segments.deleteTitle', { name: deleting?.name ?? '' })} confirmLabel={t('common.delete')} onCancel={() => setDeleting(undefined)}
        onConfirm={() => void del(`/segments/${deleting!.id}`).then(() => { setDeleting(undefined); segments.reload(); })}>
        <p>{t('segments.deleteBody')}</p>
      </ConfirmDialog>
    </>
  );
}
