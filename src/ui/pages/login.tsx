import { useEffect, useState } from 'preact/hooks';
import { post, setCsrfToken } from '../api';
import { Alert, errorMessage, TextField } from '../components';
import { getLocale, LOCALES, setLocale, t, type Locale } from '../i18n';
import { BASE } from '../router';
import { setOperator, type Operator } from '../session';

/** Only a page of the app itself may follow the login (never another site). */
function safeNext(next: string | null): string {
  return next && next.startsWith(BASE) && !next.startsWith('//') && !next.includes('\\') ? next : BASE;
}

function LocalePicker() {
  const [, setTick] = useState(0);
  return (
    <div class="auth-locale">
      <label for="auth-locale">{t('nav.language')}</label>
      <select id="auth-locale" value={getLocale()} onChange={(e) => { setLocale((e.target as HTMLSelectElement).value as Locale); setTick((n) => n + 1); }}>
        {LOCALES.map((l) => (
          <option value={l.code} key={l.code}>{l.name}</option>
        ))}
      </select>
    </div>
  );
}

export function LoginPage({ next }: { next: string | null }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    document.title = `${t('login.title')} · Tidings`;
  }, []);

  async function submit(e: Event) {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const s = await post<{ operator: Operator; csrfToken: string }>('/session', { email, password });
      setCsrfToken(s.csrfToken);
      setOperator(s.operator);
      if (s.operator.locale) setLocale(s.operator.locale);
      // A full load: the app starts again with the new session.
      location.assign(safeNext(next));
    } catch (err) {
      setError(errorMessage(err));
      setBusy(false);
    }
  }

  return (
    <main class="auth" id="main">
      <form class="auth-card" onSubmit={submit} noValidate>
        <p class="brand big"><span class="logo" aria-hidden="true">✉</span> Tidings</p>
        <h1>{t('login.title')}</h1>
        {error && <Alert kind="error">{error}</Alert>}
        <TextField label={t('login.email')} type="email" value={email} onInput={setEmail} autoComplete="username" required name="email" />
        <TextField label={t('login.password')} type="password" value={password} onInput={setPassword} autoComplete="current-password" required name="password" />
        <button type="submit" class="btn primary wide" disabled={busy}>
          {busy ? t('login.busy') : t('login.submit')}
        </button>
        <p class="hint">{t('login.forgot')}</p>
        <LocalePicker />
      </form>
    </main>
  );
}

export function SetPasswordPage() {
  const [password, setPassword] = useState('');
  const [again, setAgain] = useState('');
  const [error, setError] = useState<string>();
  const [done, setDone] = useState(false);
  const token = location.hash.slice(1);
  useEffect(() => {
    document.title = `${t('setPassword.title')} · Tidings`;
  }, []);

  async function submit(e: Event) {
    e.preventDefault();
    if (password !== again) return setError(t('setPassword.mismatch'));
    try {
      await post('/password', { token, password });
      history.replaceState(null, '', location.pathname);
      setDone(true);
    } catch (err) {
      setError(errorMessage(err));
    }
  }

  return (
    <main class="auth" id="main">
      <form class="auth-card" onSubmit={submit} noValidate>
        <p class="brand big"><span class="logo" aria-hidden="true">✉</span> Tidings</p>
        <h1>{t('setPassword.title')}</h1>
        {!token && <Alert kind="error">{t('setPassword.noToken')}</Alert>}
        {error && <Alert kind="error">{error}</Alert>}
        {done ? (
          <>
            <Alert kind="success">{t('setPassword.done')}</Alert>
            <a class="btn primary wide" href={`${BASE}/login`}>{t('login.submit')}</a>
          </>
        ) : (
          <>
            <TextField label={t('setPassword.new')} type="password" value={password} onInput={setPassword} autoComplete="new-password" hint={t('setPassword.rule')} />
            <TextField label={t('setPassword.again')} type="password" value={again} onInput={setAgain} autoComplete="new-password" />
            <button type="submit" class="btn primary wide" disabled={!token}>{t('setPassword.submit')}</button>
          </>
        )}
        <LocalePicker />
      </form>
    </main>
  );
}
