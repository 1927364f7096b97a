import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { del, patch, setCsrfToken } from './api';
import { getLocale, LOCALES, setLocale, t, type Key, type Locale } from './i18n';
import { BASE, navigate } from './router';
import { can, setOperator, useOperator, type Role } from './session';

const NAV: Array<{ href: string; key: Key; role?: Role }> = [
  { href: '/', key: 'nav.dashboard' },
  { href: '/issues', key: 'nav.issues' },
  { href: '/lists', key: 'nav.lists' },
  { href: '/subscribers', key: 'nav.subscribers' },
  { href: '/segments', key: 'nav.segments' },
  { href: '/import', key: 'nav.import', role: 'editor' },
  { href: '/suppressions', key: 'nav.suppressions' },
  { href: '/audit', key: 'nav.audit' },
  { href: '/settings', key: 'nav.settings' },
];

function isCurrent(href: string, path: string): boolean {
  if (href === '/') return path === '/';
  return path === href || path.startsWith(href + '/') || (href === '/issues' && path.startsWith('/sends'));
}

export function Layout(props: { path: string; children: ComponentChildren }) {
  const operator = useOperator()!;
  const [open, setOpen] = useState(false);
  const [, setTick] = useState(0);

  async function changeLocale(locale: Locale) {
    setLocale(locale);
    setTick((n) => n + 1);
    const updated = await patch<typeof operator>('/session', { locale }).catch(() => undefined);
    if (updated) setOperator(updated);
  }

  async function logout() {
    await del('/session').catch(() => undefined);
    setCsrfToken('');
    setOperator(undefined);
    navigate('/login', { replace: true });
  }

  return (
    <div class="shell">
      <a class="skip" href="#main">
        {t('nav.skip')}
      </a>
      <header class="topbar">
        <a class="brand" href={BASE}>
          <span class="logo" aria-hidden="true">✉</span> Tidings
        </a>
        <button type="button" class="btn menu-toggle" aria-expanded={open} aria-controls="sidenav" onClick={() => setOpen(!open)}>
          {t('nav.menu')}
        </button>
        <div class="account">
          <label class="sr-only" for="locale-select">
            {t('nav.language')}
          </label>
          <select id="locale-select" value={getLocale()} onChange={(e) => void changeLocale((e.target as HTMLSelectElement).value as Locale)}>
            {LOCALES.map((l) => (
              <option value={l.code} key={l.code}>
                {l.name}
              </option>
            ))}
          </select>
          <span class="who" title={operator.email}>
            {operator.name || operator.email} · {t(`role.${operator.role}` as Key)}
          </span>
          <button type="button" class="btn ghost" onClick={() => void logout()}>
            {t('nav.logout')}
          </button>
        </div>
      </header>
      <nav id="sidenav" class={`sidenav ${open ? 'open' : ''}`} aria-label={t('nav.main')}>
        <ul>
          {NAV.filter((n) => !n.role || can(n.role)).map((n) => (
            <li key={n.href}>
              <a href={BASE + (n.href === '/' ? '' : n.href)} aria-current={isCurrent(n.href, props.path) ? 'page' : undefined} onClick={() => setOpen(false)}>
                {t(n.key)}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      <main id="main" tabIndex={-1}>
        {props.children}
      </main>
    </div>
  );
}
