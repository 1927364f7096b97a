import { useEffect, useMemo, useState } from 'preact/hooks';
import { get, post, qs } from '../api';
import { Alert, Badge, Card, Checkbox, ConfirmDialog, Empty, ErrorBox, errorMessage, LineChart, Loading, PageHeader, ProgressBar, SelectField, Stat, statusLabel, TextField, toast } from '../components';
import { useApi, useLiveSends, useRate, type SendSummary } from '../hooks';
import { fmtDate, fmtDuration, fmtNumber, fmtPercent, t } from '../i18n';
import { BASE, navigate } from '../router';
import { can } from '../session';
import { localTimeZone, timeZones, zonedToUtc } from '../time';
import { done } from './dashboard';

interface IssueRow { id: number; slug: string; subject: string }
interface ListRow { id: number; slug: string; name: string; subscriptions?: { confirmed: number } }
interface SegmentRow { id: number; name: string; listId: number | null }
/** POST /api/issues/:ref/preflight: what a send of the issue from this server would find. */
interface Checks { sendable: boolean; errors: Finding[]; warnings: Finding[] }
interface Finding { rule: string; where: string; message: string }
/** GET /api/lists/:slug/recipients with the issue: who a send would reach, and the issue's earlier sends to the list. */
interface Reach {
  count: number;
  received?: number;
  earlier?: Array<{ id: number; status: string; sent: number; startedAt: string | null; finishedAt: string | null; scheduledAt: string | null }>;
}

export function NewSendPage({ query }: { query: URLSearchParams }) {
  const issues = useApi<{ issues: IssueRow[] }>('/issues?limit=100');
  const lists = useApi<{ lists: ListRow[] }>('/lists');
  const segments = useApi<{ segments: SegmentRow[] }>('/segments');
  const [issue, setIssue] = useState(query.get('issue') ?? '');
  const [list, setList] = useState(query.get('list') ?? '');
  const [segment, setSegment] = useState(query.get('segment') ?? '');
  const [when, setWhen] = useState<'now' | 'later'>('now');
  const [date, setDate] = useState(() => new Date(Date.now() + 86_400_000).toISOString().slice(0, 10));
  const [time, setTime] = useState('09:00');
  const [zone, setZone] = useState(localTimeZone());
  const [reach, setReach] = useState<Reach | undefined>();
  const [again, setAgain] = useState(query.get('again') === '1');
  const [includePrevious, setIncludePrevious] = useState(false);
  const count = reach?.count;
  const [confirming, setConfirming] = useState(false);
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const [checks, setChecks] = useState<Checks | undefined>();
  const zones = useMemo(() => timeZones(), []);

  useEffect(() => {
    if (!issue && issues.data?.issues[0]) setIssue(issues.data.issues[0].slug);
  }, [issues.data]);
  useEffect(() => {
    if (!list && lists.data?.lists[0]) setList(lists.data.lists[0].slug);
  }, [lists.data]);
  useEffect(() => {
    if (!list) return;
    setReach(undefined);
    // Only the answer for the current choice counts: an older, slower one must not overwrite it.
    let current = true;
    get<Reach>(`/lists/${encodeURIComponent(list)}/recipients${qs({ segment, issue, includePrevious: again && includePrevious ? 'true' : undefined })}`).then((r) => current && setReach(r), (err) => current && setError(err));
    return () => {
      current = false;
    };
  }, [list, segment, issue, again, includePrevious]);

  useEffect(() => {
    setChecks(undefined);
    if (!issue) return;
    // The send runs the same checks: errors would refuse it, warnings are shown before it is confirmed.
    let current = true;
    post<Checks>(`/issues/${encodeURIComponent(issue)}/preflight`).then((r) => current && setChecks(r), (err) => current && setError(err));
    return () => {
      current = false;
    };
  }, [issue]);

  if (!can('editor')) return <Alert kind="warning">{t('error.forbidden')}</Alert>;
  if (issues.error || lists.error) return <ErrorBox error={issues.error ?? lists.error} />;
  if (!issues.data || !lists.data) return <Loading />;
  const chosenIssue = issues.data.issues.find((i) => i.slug === issue);
  const chosenList = lists.data.lists.find((l) => l.slug === list);
  const chosenSegment = segments.data?.segments.find((s) => String(s.id) === segment);
  const at = when === 'later' ? zonedToUtc(date, time, zone) : undefined;
  const earlier = reach?.earlier ?? [];
  const blocked = earlier.length > 0 && !again;

  async function start() {
    setBusy(true);
    setError(undefined);
    try {
      const repeat = earlier.length > 0 ? { again: true, includePrevious } : {};
      const send = await post<{ id: number }>('/sends', { issue, list, ...(segment ? { segment: Number(segment) } : {}), ...(at ? { at: at.toISOString() } : {}), ...repeat });
      toast(t('send.started'));
      navigate(`/sends/${send.id}`);
    } catch (err) {
      setError(err);
      setConfirming(false);
    } finally {
      setBusy(false);
    }
  }

  return (
    <>
      <PageHeader title={t('send.new')} back={{ href: `${BASE}/issues`, label: t('nav.issues') }} />
      {issues.data.issues.length === 0 ? (
        <Empty>{t('send.noIssues')} <a href={`${BASE}/issues/new`}>{t('issues.new')}</a></Empty>
      ) : (
        <Card>
          <form class="form" onSubmit={(e) => { e.preventDefault(); setConfirming(true); }}>
            <SelectField label={t('send.issue')} value={issue} onChange={setIssue} options={issues.data.issues.map((i) => ({ value: i.slug, label: `${i.subject} (${i.slug})` }))} />
            <SelectField label={t('send.list')} value={list} onChange={(v) => { setList(v); setSegment(''); }} options={lists.data.lists.map((l) => ({ value: l.slug, label: l.name }))} />
            <SelectField
              label={t('send.segment')}
              value={segment}
              onChange={setSegment}
              hint={t('send.segmentHint')}
              options={[{ value: '', label: t('send.wholeList') }, ...(segments.data?.segments ?? []).filter((s) => s.listId === null || s.listId === chosenList?.id).map((s) => ({ value: String(s.id), label: s.name }))]}
            />
            {earlier.length > 0 && (
              <div class="again" data-testid="send-again">
                <Alert kind="warning">
                  {t('send.alreadySent', { list: chosenList?.name ?? list })}
                  <ul class="plain small">
                    {earlier.map((e) => (
                      <li key={e.id}><a href={`${BASE}/sends/${e.id}`}>{t('send.earlier', { id: e.id, status: statusLabel(e.status), sent: fmtNumber(e.sent), at: fmtDate(e.finishedAt ?? e.startedAt ?? e.scheduledAt) })}</a></li>
                    ))}
                  </ul>
                </Alert>
                <Checkbox label={t('send.again')} checked={again} onChange={setAgain} hint={t('send.againHint')} />
                {again && (
                  <Checkbox label={t('send.includePrevious', { n: fmtNumber(reach?.received ?? 0) })} checked={includePrevious} onChange={setIncludePrevious} hint={t('send.includePreviousHint')} />
                )}
              </div>
            )}
            <p class="recipients" aria-live="polite">
              {count === undefined ? t('common.counting') : t('send.willReceive', { n: fmtNumber(count) })}
              {count !== undefined && again && !includePrevious && (reach?.received ?? 0) > 0 && <> {t('send.skipping', { n: fmtNumber(reach!.received!) })}</>}
            </p>
            <fieldset class="radios">
              <legend>{t('send.when')}</legend>
              <label><input type="radio" name="when" checked={when === 'now'} onChange={() => setWhen('now')} /> {t('send.now')}</label>
              <label><input type="radio" name="when" checked={when === 'later'} onChange={() => setWhen('later')} /> {t('send.schedule')}</label>
            </fieldset>
            {when === 'later' && (
              <div class="row">
                <TextField label={t('send.date')} type="date" value={date} onInput={setDate} />
                <TextField label={t('send.time')} type="time" value={time} onInput={setTime} />
                <SelectField label={t('send.zone')} value={zone} onChange={setZone} options={zones.map((z) => ({ value: z, label: z }))} />
              </div>
            )}
            {checks && checks.errors.length > 0 && <Findings kind="error" title={t('send.preflightErrors')} findings={checks.errors} />}
            <ErrorBox error={error} />
            <div class="form-actions">
              <button type="submit" class="btn primary" disabled={!issue || !list || count === undefined || blocked || (checks?.errors.length ?? 0) > 0}>{t('send.review')}</button>
            </div>
          </form>
        </Card>
      )}
      <ConfirmDialog
        open={confirming}
        title={t('send.confirmTitle')}
        confirmLabel={at ? t('send.confirmSchedule') : t('send.confirmNow', { n: fmtNumber(count ?? 0) })}
        busy={busy}
        onCancel={() => setConfirming(false)}
        onConfirm={() => void start()}
      >
        <p>
          {t('send.confirmBody', { subject: chosenIssue?.subject ?? issue, n: fmtNumber(count ?? 0), list: chosenList?.name ?? list })}
          {chosenSegment && ` ${t('send.confirmSegment', { segment: chosenSegment.name })}`}
        </p>
        {earlier.length > 0 && <p><strong>{includePrevious ? t('send.confirmAgainAll') : t('send.confirmAgain', { n: fmtNumber(reach?.received ?? 0) })}</strong></p>}
        <p>{at ? t('send.confirmAt', { at: fmtDate(at), zone }) : t('send.confirmImmediately')}</p>
        {checks && checks.warnings.length > 0 && <Findings kind="warning" title={t('send.preflightWarnings')} findings={checks.warnings} />}
      </ConfirmDialog>
    </>
  );
}

function Findings({ kind, title, findings }: { kind: 'error' | 'warning'; title: string; findings: Finding[] }) {
  return (
    <Alert kind={kind}>
      <p class="findings-title">{title}</p>
      <ul class="findings-list">{findings.map((f, i) => <li key={i}>{f.message}</li>)}</ul>
    </Alert>
  );
}

interface Stats {
  deliveries: Record<string, number>;
  bounced: { total: number; hard: number; soft: number; policy: number };
  complaints: number;
  unsubscribes: number;
  opens: { total: number; unique: number; machine: { total: number; unique: number } };
  clicks: { total: number; unique: number; links: Array<{ linkId: number; url: string | null; total: number; unique: number }> };
  rates: { open: number; click: number; bounce: number; complaint: number; unsubscribe: number };
  timeline: { bucket: string; points: Array<{ at: string; opens: number; clicks: number }> };
}

const ENDED = new Set(['finished', 'cancelled', 'failed']);

function Controls({ send, onChange }: { send: SendSummary; onChange: () => void }) {
  const [busy, setBusy] = useState<string>();
  const [confirmCancel, setConfirmCancel] = useState(false);
  if (!can('editor')) return null;
  async function act(action: 'pause' | 'resume' | 'cancel' | 'retry-failed') {
    setBusy(action);
    try {
      await post(`/sends/${send.id}/${action}`);
      toast(t(`send.done.${action}` as never));
      onChange();
    } catch (err) {
      toast(errorMessage(err));
    } finally {
      setBusy(undefined);
      setConfirmCancel(false);
    }
  }
  const running = ['queued', 'fanning_out', 'sending', 'scheduled'].includes(send.status);
  return (
    <>
      {running && send.status !== 'scheduled' && <button class="btn" disabled={!!busy} onClick={() => void act('pause')}>{t('send.pause')}</button>}
      {send.status === 'paused' && <button class="btn primary" disabled={!!busy} onClick={() => void act('resume')}>{t('send.resume')}</button>}
      {(running || send.status === 'paused') && <button class="btn danger" disabled={!!busy} onClick={() => setConfirmCancel(true)}>{t('send.cancel')}</button>}
      {(send.counts.failed ?? 0) > 0 && <button class="btn" disabled={!!busy} onClick={() => void act('retry-failed')}>{t('send.retry')}</button>}
      {ENDED.has(send.status) && <a class="btn" href={`${BASE}/sends/new${qs({ issue: send.issue, list: send.list, again: '1' })}`}>{t('send.sendAgain')}</a>}
      <ConfirmDialog open={confirmCancel} danger title={t('send.cancelTitle')} confirmLabel={t('send.cancel')} onCancel={() => setConfirmCancel(false)} onConfirm={() => void act('cancel')}>
        <p>{t('send.cancelBody')}</p>
      </ConfirmDialog>
    </>
  );
}

export function SendPage({ params }: { params: Record<string, string> }) {
  const id = Number(params.id);
  const initial = useApi<SendSummary>(`/sends/${id}`);
  const live = useLiveSends();
  const fromStream = live.sends?.find((s) => s.id === id);
  const send = fromStream ?? initial.data;
  const ended = send ? ENDED.has(send.status) : false;
  const stats = useApi<Stats>(send ? `/sends/${id}/stats${ended ? '?final' : ''}` : null);
  const domains = useApi<{ domains: Array<{ domain: string; total: number; sent: number; failed: number; other: number }> }>(ended ? `/sends/${id}/domains` : null);
  const total = send ? Math.max(send.total, Object.values(send.counts).reduce((a, b) => a + b, 0)) : 0;
  const progress = send ? done(send) : 0;
  const { rate, eta } = useRate(progress, total, live.at);

  if (initial.error) return <ErrorBox error={initial.error} />;
  if (!send) return <Loading />;
  const pct = total > 0 ? Math.floor((progress / total) * 100) : send.status === 'finished' ? 100 : 0;
  const s = stats.data;
  return (
    <>
      <PageHeader
        title={send.subject}
        back={{ href: `${BASE}/issues`, label: t('nav.issues') }}
        subtitle={<>{t('send.toList', { list: send.list, id: send.id })} · <Badge status={send.status} />{send.statusReason && <span class="muted"> — {send.statusReason}</span>}</>}
        actions={<Controls send={send} onChange={() => { initial.reload(); stats.reload(); }} />}
      />
      <Card title={t('send.progress')}>
        <div class="big-progress">
          <ProgressBar value={progress} max={total} label={t('send.progressOf', { subject: send.subject })} />
          <span class="pct" data-testid="send-percent">{pct} %</span>
        </div>
        <div class="stats tight">
          <Stat label={t('status.sent')} value={fmtNumber(send.counts.sent ?? 0)} />
          <Stat label={t('status.failed')} value={fmtNumber(send.counts.failed ?? 0)} tone={(send.counts.failed ?? 0) > 0 ? 'bad' : undefined} />
          <Stat label={t('status.suppressed')} value={fmtNumber(send.counts.suppressed ?? 0)} />
          <Stat label={t('send.waiting')} value={fmtNumber((send.counts.queued ?? 0) + (send.counts.sending ?? 0) + (send.counts.retrying ?? 0))} />
          {!ended && <Stat label={t('send.rate')} value={t('send.perSecond', { n: fmtNumber(rate, 1) })} hint={t('send.eta', { eta: fmtDuration(eta) })} />}
        </div>
        {send.status === 'scheduled' && <p>{t('send.scheduledFor', { at: fmtDate(send.scheduledAt) })}</p>}
      </Card>
      <Card title={t('stats.title')} actions={<button class="btn ghost" onClick={stats.reload}>{t('common.refresh')}</button>}>
        {stats.error && <ErrorBox error={stats.error} />}
        {!s ? (
          <Loading />
        ) : (
          <>
            <div class="stats">
              <Stat label={t('stats.opens')} value={fmtNumber(s.opens.unique)} hint={t('stats.rate', { rate: fmtPercent(s.rates.open) })} />
              <Stat label={t('stats.clicks')} value={fmtNumber(s.clicks.unique)} hint={t('stats.rate', { rate: fmtPercent(s.rates.click) })} />
              <Stat label={t('stats.unsubscribes')} value={fmtNumber(s.unsubscribes)} hint={t('stats.rate', { rate: fmtPercent(s.rates.unsubscribe) })} />
              <Stat label={t('stats.bounces')} value={fmtNumber(s.bounced.total)} hint={t('stats.bounceKinds', { hard: s.bounced.hard, soft: s.bounced.soft, policy: s.bounced.policy })} />
              <Stat label={t('stats.complaints')} value={fmtNumber(s.complaints)} hint={t('stats.rate', { rate: fmtPercent(s.rates.complaint, 2) })} />
            </div>
            <p class="muted small">{t('stats.machineNote', { n: fmtNumber(s.opens.machine.unique) })}</p>
            {s.timeline.points.length > 1 && (
              <LineChart
                labels={s.timeline.points.map((p) => new Date(p.at).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' }))}
                summary={t('stats.timelineSummary', { opens: fmtNumber(s.opens.total), clicks: fmtNumber(s.clicks.total) })}
                series={[
                  { name: t('stats.opens'), values: s.timeline.points.map((p) => p.opens), color: '#2563eb' },
                  { name: t('stats.clicks'), values: s.timeline.points.map((p) => p.clicks), color: '#d97706' },
                ]}
              />
            )}
            <h3>{t('stats.links')}</h3>
            {s.clicks.links.length === 0 ? (
              <Empty>{t('stats.noClicks')}</Empty>
            ) : (
              <div class="table-wrap" tabIndex={0} role="region" aria-label={t('common.table')}>
                <table>
                  <thead><tr><th scope="col">{t('stats.link')}</th><th scope="col" class="num">{t('stats.clicks')}</th><th scope="col" class="num">{t('stats.uniqueClicks')}</th></tr></thead>
                  <tbody>
                    {s.clicks.links.map((l) => (
                      <tr key={l.linkId}><td class="break">{l.url ?? `#${l.linkId}`}</td><td class="num">{fmtNumber(l.total)}</td><td class="num">{fmtNumber(l.unique)}</td></tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
            {domains.data && domains.data.domains.length > 0 && (
              <>
                <h3>{t('stats.domains')}</h3>
                <div class="table-wrap" tabIndex={0} role="region" aria-label={t('common.table')}>
                  <table>
                    <thead><tr><th scope="col">{t('stats.domain')}</th><th scope="col" class="num">{t('common.total')}</th><th scope="col" class="num">{t('status.sent')}</th><th scope="col" class="num">{t('status.failed')}</th><th scope="col" class="num">{t('stats.other')}</th></tr></thead>
                    <tbody>
                      {domains.data.domains.map((d) => (
                        <tr key={d.domain}><td>{d.domain}</td><td class="num">{fmtNumber(d.total)}</td><td class="num">{fmtNumber(d.sent)}</td><td class="num">{fmtNumber(d.failed)}</td><td class="num">{fmtNumber(d.other)}</td></tr>
                      ))}
                    </tbody>
                  </table>
                </div>
              </>
            )}
          </>
        )}
      </Card>
    </>
  );
}
