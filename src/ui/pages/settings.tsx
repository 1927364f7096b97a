import { useState } from 'preact/hooks';
import { del, get, patch, post } from '../api';
import { Alert, Badge, Card, ConfirmDialog, Empty, ErrorBox, Loading, PageHeader, SelectField, TextField, toast } from '../components';
import { useApi } from '../hooks';
import { fmtDate, LOCALES, setLocale, t, type Key } from '../i18n';
import { BASE, navigate } from '../router';
import { can, setOperator, useOperator, type Operator, type Role } from '../session';

function Account() {
  const operator = useOperator()!;
  const [name, setName] = useState(operator.name);
  const [locale, setLoc] = useState<string>(operator.locale ?? '');
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [error, setError] = useState<unknown>();
  async function save(e: Event) {
    e.preventDefault();
    try {
      const updated = await patch<Operator>('/session', { name, locale: locale || null, ...(next ? { currentPassword: current, newPassword: next } : {}) });
      setOperator(updated);
      setLocale(updated.locale);
      setCurrent('');
      setNext('');
      setError(undefined);
      toast(t('common.saved'));
    } catch (err) {
      setError(err);
    }
  }
  async function everywhere() {
    await post('/session/logout-everywhere');
    navigate('/login', { replace: true });
  }
  return (
    <Card title={t('settings.account')}>
      <form class="form" onSubmit={save}>
        <p class="muted">{operator.email} · {t(`role.${operator.role}` as Key)}</p>
        <div class="row">
          <TextField label={t('subscribers.name')} value={name} onInput={setName} autoComplete="name" />
          <SelectField label={t('nav.language')} value={locale} onChange={setLoc} options={[{ value: '', label: t('settings.browserLanguage') }, ...LOCALES.map((l) => ({ value: l.code, label: l.name }))]} />
        </div>
        <h3>{t('settings.password')}</h3>
        <div class="row">
          <TextField label={t('settings.currentPassword')} type="password" value={current} onInput={setCurrent} autoComplete="current-password" />
          <TextField label={t('setPassword.new')} type="password" value={next} onInput={setNext} autoComplete="new-password" hint={t('setPassword.rule')} />
        </div>
        <ErrorBox error={error} />
        <div class="form-actions">
          <button type="submit" class="btn primary">{t('common.save')}</button>
          <button type="button" class="btn" onClick={() => void everywhere()}>{t('settings.logoutEverywhere')}</button>
        </div>
      </form>
    </Card>
  );
}

function Tokens() {
  const tokens = useApi<{ tokens: Array<{ id: number; name: string; prefix: string; createdAt: string; lastUsedAt: string | null }> }>('/tokens');
  const [name, setName] = useState('');
  const [created, setCreated] = useState<string>();
  const [error, setError] = useState<unknown>();
  async function create(e: Event) {
    e.preventDefault();
    try {
      const r = await post<{ token: string }>('/tokens', { name });
      setCreated(r.token);
      setName('');
      tokens.reload();
    } catch (err) {
      setError(err);
    }
  }
  return (
    <Card title={t('settings.tokens')}>
      <p class="muted small">{t('settings.tokensHint')}</p>
      {created && <Alert kind="success">{t('settings.tokenCreated')} <code class="break" data-testid="new-token">{created}</code></Alert>}
      <form class="row" onSubmit={create}>
        <TextField label={t('settings.tokenName')} value={name} onInput={setName} required />
        <button type="submit" class="btn" disabled={!name.trim()}>{t('settings.createToken')}</button>
      </form>
      <ErrorBox error={error ?? tokens.error} />
      {tokens.data && tokens.data.tokens.length > 0 && (
        <ul class="plain">
          {tokens.data.tokens.map((k) => (
            <li key={k.id} class="row-between">
              <span><strong>{k.name}</strong> <code>{k.prefix}…</code> <span class="muted small">{t('settings.tokenUsed', { date: fmtDate(k.lastUsedAt) })}</span></span>
              <button class="btn small" onClick={() => void del(`/tokens/${k.id}`).then(tokens.reload)} aria-label={t('settings.revokeToken', { name: k.name })}>{t('settings.revoke')}</button>
            </li>
          ))}
        </ul>
      )}
    </Card>
  );
}

interface Op extends Operator { disabled: boolean; createdAt: string }

function Operators() {
  const me = useOperator()!;
  const ops = useApi<{ operators: Op[] }>('/operators');
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<Role>('editor');
  const [link, setLink] = useState<string>();
  const [error, setError] = useState<unknown>();
  const [deleting, setDeleting] = useState<Op>();
  async function add(e: Event) {
    e.preventDefault();
    try {
      const r = await post<{ link: string }>('/operators', { email, role });
      setLink(r.link);
      setEmail('');
      ops.reload();
    } catch (err) {
      setError(err);
    }
  }
  async function change(op: Op, body: Record<string, unknown>) {
    try {
      await patch(`/operators/${op.id}`, body);
      setError(undefined);
      ops.reload();
    } catch (err) {
      setError(err);
    }
  }
  const roles: Role[] = ['viewer', 'editor', 'owner'];
  return (
    <Card title={t('settings.operators')}>
      <form class="row" onSubmit={add}>
        <TextField label={t('login.email')} type="email" value={email} onInput={setEmail} required />
        <SelectField label={t('settings.role')} value={role} onChange={setRole} options={roles.map((r) => ({ value: r, label: t(`role.${r}` as Key) }))} />
        <button type="submit" class="btn primary" disabled={!email}>{t('settings.addOperator')}</button>
      </form>
      {link && <Alert kind="success">{t('settings.linkCreated')} <code class="break">{link}</code></Alert>}
      <ErrorBox error={error ?? ops.error} />
      {!ops.data ? <Loading /> : (
        <div class="table-wrap" tabIndex={0} role="region" aria-label={t('common.table')}>
          <table>
            <thead><tr><th scope="col">{t('login.email')}</th><th scope="col">{t('settings.role')}</th><th scope="col">{t('common.status')}</th><th scope="col"><span class="sr-only">{t('common.actions')}</span></th></tr></thead>
            <tbody>
              {ops.data.operators.map((o) => (
                <tr key={o.id}>
                  <td class="break">{o.email}{o.name && <div class="muted small">{o.name}</div>}</td>
                  <td>
                    <label class="sr-only" for={`role-${o.id}`}>{t('settings.roleOf', { email: o.email })}</label>
                    <select id={`role-${o.id}`} value={o.role} disabled={o.id === me.id} onChange={(e) => void change(o, { role: (e.target as HTMLSelectElement).value })}>
                      {roles.map((r) => <option key={r} value={r}>{t(`role.${r}` as Key)}</option>)}
                    </select>
                  </td>
                  <td>{o.disabled ? <Badge status="blocked" /> : o.hasPassword ? <Badge status="active" /> : <span class="muted small">{t('settings.noPassword')}</span>}</td>
                  <td class="nowrap">
                    {o.id !== me.id && (
                      <>
                        <button class="btn small" onClick={() => void post<{ link: string }>(`/operators/${o.id}/password-link`).then((r) => setLink(r.link), setError)}>{t('settings.resetLink')}</button>{' '}
                        <button class="btn small" onClick={() => void change(o, { disabled: !o.disabled })}>{o.disabled ? t('settings.enable') : t('settings.disable')}</button>{' '}
                        <button class="btn small danger ghost" onClick={() => setDeleting(o)} aria-label={t('settings.deleteOperator', { email: o.email })}>{t('common.delete')}</button>
                      </>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <ConfirmDialog open={deleting !== undefined} danger title={t('settings.deleteOperator', { email: deleting?.email ?? '' })} confirmLabel={t('common.delete')} onCancel={() => setDeleting(undefined)}
        onConfirm={() => void del(`/operators/${deleting!.id}`).then(() => { setDeleting(undefined); ops.reload(); }, (err) => { setDeleting(undefined); setError(err); })}>
        <p>{t('settings.deleteOperatorBody')}</p>
      </ConfirmDialog>
    </Card>
  );
}

interface Settings { config: Array<{ name: string; value: string; secret: boolean }>; dkim: { name: string; type: string; value: string } | null; bounceDomain: string | null }

function Server() {
  const settings = useApi<Settings>('/settings');
  const [routes, setRoutes] = useState<Array<{ name: string; ok: boolean; detail: string; ms: number }>>();
  const [testing, setTesting] = useState(false);
  async function test() {
    setTesting(true);
    try {
      setRoutes((await get<{ routes: typeof routes }>('/smtp/routes?fresh=1')).routes);
    } finally {
      setTesting(false);
    }
  }
  if (settings.error) return <ErrorBox error={settings.error} />;
  if (!settings.data) return <Loading />;
  const s = settings.data;
  return (
    <>
      <Card title={t('settings.smtp')} actions={<button class="btn" onClick={() => void test()} disabled={testing}>{testing ? t('settings.testing') : t('settings.testConnection')}</button>}>
        {routes ? (
          <ul class="plain" data-testid="smtp-result">
            {routes.map((r) => <li key={r.name}><span class={`dot ${r.ok ? 'ok' : 'bad'}`} aria-hidden="true" /> <strong>{r.name}</strong> — {r.ok ? t('dashboard.routeOk', { ms: r.ms }) : t('dashboard.routeDown')} <div class="small muted">{r.detail}</div></li>)}
          </ul>
        ) : <p class="muted">{t('settings.smtpHint')}</p>}
      </Card>
      <Card title={t('settings.dns')}>
        {s.dkim ? (
          <>
            <p class="muted small">{t('settings.dkimHint')}</p>
            <dl class="pairs">
              <dt>{t('settings.recordName')}</dt><dd><code class="break">{s.dkim.name}</code></dd>
              <dt>{t('settings.recordType')}</dt><dd><code>{s.dkim.type}</code></dd>
              <dt>{t('settings.recordValue')}</dt><dd><code class="break">{s.dkim.value}</code></dd>
            </dl>
          </>
        ) : <p class="muted">{t('settings.noDkim')}</p>}
        <p>{t('settings.bounceDomain')}: {s.bounceDomain ? <code>{s.bounceDomain}</code> : <span class="muted">{t('settings.unset')}</span>}</p>
        <p class="muted small">{t('settings.trackingNote')}</p>
      </Card>
      <Card title={t('settings.config')}>
        <p class="muted small">{t('settings.configHint')}</p>
        <div class="table-wrap" tabIndex={0} role="region" aria-label={t('common.table')}>
          <table>
            <thead><tr><th scope="col">{t('settings.variable')}</th><th scope="col">{t('settings.value')}</th></tr></thead>
            <tbody>
              {s.config.map((c) => <tr key={c.name}><td><code>{c.name}</code></td><td class="break">{c.value ? (c.secret ? <span class="muted">{c.value}</span> : c.value) : <span class="muted">{t('settings.unset')}</span>}</td></tr>)}
            </tbody>
          </table>
        </div>
      </Card>
    </>
  );
}

export function SettingsPage() {
  useOperator();
  return (
    <>
      <PageHeader title={t('nav.settings')} actions={can('owner') && <a class="btn" href={`${BASE}/queues`}>{t('dashboard.bullBoard')}</a>} />
      <div class="grid-2">
        <Account />
        <Tokens />
      </div>
      {can('owner') ? (
        <>
          <Operators />
          <Server />
        </>
      ) : (
        <Card><Empty>{t('settings.ownersOnly')}</Empty></Card>
      )}
    </>
  );
}

