import { Badge, Card, Empty, ErrorBox, LineChart, Loading, PageHeader, ProgressBar, Stat } from '../components';
import { useApi, useLiveSends, type SendSummary } from '../hooks';
import { useEffect } from 'preact/hooks';
import { fmtDate, fmtNumber, fmtPercent, getLocale, t } from '../i18n';
import { BASE } from '../router';
import { can } from '../session';

interface Dashboard {
  totals: { subscribers: number; confirmed: number; lists: number; suppressed: number };
  days: Array<{ day: string; subscribed: number; confirmed: number; unsubscribed: number }>;
  reputation: { sent: number; bounces: number; complaints: number; bounceRate: number; complaintRate: number; thresholds: { complaintMax: number; complaintTarget: number; bounceMax: number } };
  queues: { deliver: Record<string, number>; fanout: Record<string, number> };
}

export function done(s: SendSummary): number {
  const c = s.counts;
  return (c.sent ?? 0) + (c.failed ?? 0) + (c.suppressed ?? 0) + (c.cancelled ?? 0);
}

export function SendsTable({ sends }: { sends: SendSummary[] }) {
  if (sends.length === 0) return <Empty>{t('dashboard.noSends')}</Empty>;
  return (
    <div class="table-wrap" tabIndex={0} role="region" aria-label={t('common.table')}>
      <table>
        <caption class="sr-only">{t('dashboard.sends')}</caption>
        <thead>
          <tr>
            <th scope="col">{t('send.issue')}</th>
            <th scope="col">{t('send.list')}</th>
            <th scope="col">{t('common.status')}</th>
            <th scope="col">{t('send.progress')}</th>
            <th scope="col" class="num">{t('status.sent')}</th>
            <th scope="col" class="num">{t('status.failed')}</th>
          </tr>
        </thead>
        <tbody>
          {sends.map((s) => {
            const total = Math.max(s.total, Object.values(s.counts).reduce((a, b) => a + b, 0));
            return (
              <tr key={s.id}>
                <td>
                  <a href={`${BASE}/sends/${s.id}`}>{s.subject}</a>
                  <div class="muted small">#{s.id} · {fmtDate(s.scheduledAt && s.status === 'scheduled' ? s.scheduledAt : s.startedAt ?? s.createdAt)}</div>
                </td>
                <td>{s.list}</td>
                <td><Badge status={s.status} /></td>
                <td class="progress-cell">
                  <ProgressBar value={done(s)} max={total} label={t('send.progressOf', { subject: s.subject })} />
                  <span class="small muted">{fmtNumber(done(s))} / {fmtNumber(total)}</span>
                </td>
                <td class="num">{fmtNumber(s.counts.sent ?? 0)}</td>
                <td class="num">{fmtNumber(s.counts.failed ?? 0)}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

interface RouteHealth {
  name: string;
  state: 'closed' | 'open' | 'half-open';
  workers: { closed: number; open: number; halfOpen: number };
  failures: number;
  reopensAt: string | null;
  lastError: string | null;
  lastErrorAt: string | null;
}

/** The routes' circuit breakers as the running workers report them (refreshed every 10 s: one small request). */
function Routes() {
  const health = useApi<{ workers: number; routes: RouteHealth[] }>('/smtp/breakers');
  const { reload } = health;
  useEffect(() => {
    const timer = setInterval(reload, 10_000);
    return () => clearInterval(timer);
  }, [reload]);
  if (health.error) return <ErrorBox error={health.error} />;
  if (!health.data) return <Loading />;
  if (health.data.workers === 0) return <p class="muted" data-testid="route-health">{t('dashboard.noWorkers')}</p>;
  const tone = { closed: 'ok', 'half-open': 'warn', open: 'bad' } as const;
  return (
    <>
      <p class="small muted">{t('dashboard.routesHint', { n: health.data.workers })}</p>
      <ul class="plain" data-testid="route-health">
        {health.data.routes.map((r) => (
          <li key={r.name}>
            <span class={`dot ${tone[r.state]}`} aria-hidden="true" /> <strong class="break">{r.name}</strong> — {
              r.state === 'closed' ? t('dashboard.breakerClosed')
                : r.state === 'open' ? t('dashboard.breakerOpen', { failures: r.failures, time: fmtTime(r.reopensAt) })
                  : t('dashboard.breakerHalfOpen')}
            {r.state !== 'closed' && r.workers.closed > 0 && <div class="small">{t('dashboard.breakerSome', { out: r.workers.open + r.workers.halfOpen, all: r.workers.open + r.workers.halfOpen + r.workers.closed })}</div>}
            {r.lastError && <div class="small muted break">{t('dashboard.lastFailure', { time: fmtDate(r.lastErrorAt), error: r.lastError })}</div>}
          </li>
        ))}
      </ul>
      {can('owner') && <a class="small" href={`${BASE}/settings`}>{t('dashboard.testRoutes')}</a>}
    </>
  );
}

function fmtTime(iso: string | null): string {
  return iso ? new Date(iso).toLocaleTimeString(getLocale(), { hour: '2-digit', minute: '2-digit', second: '2-digit' }) : '–';
}

export function DashboardPage() {
  const live = useLiveSends();
  const data = useApi<Dashboard>('/dashboard');
  const d = data.data;
  const rep = d?.reputation;
  return (
    <>
      <PageHeader
        title={t('nav.dashboard')}
        actions={can('editor') && (
          <>
            <a class="btn" href={`${BASE}/issues/new`}>{t('issues.new')}</a>
            <a class="btn primary" href={`${BASE}/sends/new`}>{t('send.new')}</a>
          </>
        )}
      />
      <Card title={t('dashboard.sends')}>{live.sends ? <SendsTable sends={live.sends.slice(0, 8)} /> : <Loading />}</Card>
      <ErrorBox error={data.error} />
      {d && rep && (
        <>
          <div class="stats">
            <Stat label={t('dashboard.subscribers')} value={fmtNumber(d.totals.subscribers)} />
            <Stat label={t('dashboard.confirmed')} value={fmtNumber(d.totals.confirmed)} />
            <Stat label={t('nav.lists')} value={fmtNumber(d.totals.lists)} />
            <Stat label={t('nav.suppressions')} value={fmtNumber(d.totals.suppressed)} />
          </div>
          <div class="grid-2">
            <Card title={t('dashboard.growth')}>
              <LineChart
                labels={d.days.map((x) => x.day.slice(5))}
                summary={t('dashboard.growthSummary', {
                  subscribed: fmtNumber(d.days.reduce((a, x) => a + x.subscribed, 0)),
                  unsubscribed: fmtNumber(d.days.reduce((a, x) => a + x.unsubscribed, 0)),
                })}
                series={[
                  { name: t('dashboard.new'), values: d.days.map((x) => x.subscribed), color: '#2563eb' },
                  { name: t('dashboard.confirmedSeries'), values: d.days.map((x) => x.confirmed), color: '#059669' },
                  { name: t('status.unsubscribed'), values: d.days.map((x) => x.unsubscribed), color: '#dc2626' },
                ]}
              />
            </Card>
            <Card title={t('dashboard.reputation')}>
              <p class="muted small">{t('dashboard.reputationHint', { sent: fmtNumber(rep.sent) })}</p>
              <div class="stats tight">
                <Stat
                  label={t('dashboard.bounceRate')}
                  value={fmtPercent(rep.bounceRate, 2)}
                  tone={rep.bounceRate >= rep.thresholds.bounceMax ? 'bad' : 'good'}
                  hint={t('dashboard.bounceLimit', { max: fmtPercent(rep.thresholds.bounceMax, 0) })}
                />
                <Stat
                  label={t('dashboard.complaintRate')}
                  value={fmtPercent(rep.complaintRate, 2)}
                  tone={rep.complaintRate >= rep.thresholds.complaintMax ? 'bad' : rep.complaintRate >= rep.thresholds.complaintTarget ? 'warn' : 'good'}
                  hint={t('dashboard.complaintLimit', { max: fmtPercent(rep.thresholds.complaintMax), target: fmtPercent(rep.thresholds.complaintTarget) })}
                />
              </div>
            </Card>
            <Card title={t('dashboard.queues')}>
              <dl class="pairs">
                <dt>{t('dashboard.waiting')}</dt><dd>{fmtNumber((d.queues.deliver.waiting ?? 0) + (d.queues.deliver.prioritized ?? 0))}</dd>
                <dt>{t('dashboard.active')}</dt><dd>{fmtNumber(d.queues.deliver.active ?? 0)}</dd>
                <dt>{t('dashboard.delayed')}</dt><dd>{fmtNumber(d.queues.deliver.delayed ?? 0)}</dd>
                <dt>{t('dashboard.fanouts')}</dt><dd>{fmtNumber((d.queues.fanout.waiting ?? 0) + (d.queues.fanout.active ?? 0) + (d.queues.fanout.delayed ?? 0))}</dd>
              </dl>
              {can('owner') && <a class="small" href={`${BASE}/queues`}>{t('dashboard.bullBoard')}</a>}
            </Card>
            <Card title={t('dashboard.routes')}>
              <Routes />
            </Card>
          </div>
        </>
      )}
      {!d && !data.error && <Loading />}
    </>
  );
}
