import { useEffect, useState } from 'preact/hooks';

/** The app's pages live under /admin; navigation changes the history without reloading. */
export const BASE = '/admin';

type Listener = () => void;
const listeners = new Set<Listener>();

export function navigate(path: string, options: { replace?: boolean } = {}): void {
  const url = path.startsWith(BASE) ? path : BASE + path;
  if (options.replace) history.replaceState(null, '', url);
  else history.pushState(null, '', url);
  for (const l of listeners) l();
  window.scrollTo(0, 0);
}

addEventListener('popstate', () => {
  for (const l of listeners) l();
});

/** The current path below /admin (`/issues/3`) and its query. */
export function useLocation(): { path: string; query: URLSearchParams } {
  const [, setTick] = useState(0);
  useEffect(() => {
    const l = () => setTick((n) => n + 1);
    listeners.add(l);
    return () => void listeners.delete(l);
  }, []);
  const path = location.pathname.slice(BASE.length) || '/';
  return { path, query: new URLSearchParams(location.search) };
}

/** Matches `/issues/:id` against `/issues/3` → { id: '3' }. */
export function match(pattern: string, path: string): Record<string, string> | undefined {
  const p = pattern.split('/');
  const a = path.split('/');
  if (p.length !== a.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < p.length; i++) {
    if (p[i].startsWith(':')) params[p[i].slice(1)] = decodeURIComponent(a[i]);
    else if (p[i] !== a[i]) return undefined;
  }
  return params;
}

/** Clicks on same-app links navigate in place (modifier keys and new tabs behave as usual). */
export function interceptLinks(): void {
  document.addEventListener('click', (event) => {
    const a = (event.target as Element).closest?.('a');
    if (!a || event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || a.target || a.hasAttribute('download')) return;
    const href = a.getAttribute('href');
    if (!href || !href.startsWith(BASE + '/') && href !== BASE) return;
    if (href.startsWith(BASE + '/queues') || href.startsWith(BASE + '/assets')) return;
    event.preventDefault();
    navigate(href);
  });
}
