import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import './app.css';
import { ApiFailure, get, setCsrfToken, whenSignedOut } from './api';
import { Loading, Toasts } from './components';
import { setLocale, t } from './i18n';
import { Layout } from './layout';
import { interceptLinks, match, navigate, useLocation } from './router';
import { setOperator, setPublicUrl, useOperator, type Operator } from './session';
import { AuditPage } from './pages/audit';
import { ComposerPage } from './pages/composer';
import { DashboardPage } from './pages/dashboard';
import { ImportPage } from './pages/import';
import { IssuesPage } from './pages/issues';
import { ListPage, ListsPage } from './pages/lists';
import { LoginPage, SetPasswordPage } from './pages/login';
import { SegmentsPage } from './pages/segments';
import { NewSendPage, SendPage } from './pages/send';
import { SettingsPage } from './pages/settings';
import { SubscriberPage, SubscribersPage } from './pages/subscribers';
import { SuppressionsPage } from './pages/suppressions';

type Page = (props: { params: Record<string, string>; query: URLSearchParams }) => preact.JSX.Element;

/** Every page of the app, in one table. */
const ROUTES: Array<[string, Page]> = [
  ['/', DashboardPage],
  ['/issues', IssuesPage],
  ['/issues/new', ComposerPage],
  ['/issues/:ref', ComposerPage],
  ['/sends/new', NewSendPage],
  ['/sends/:id', SendPage],
  ['/lists', ListsPage],
  ['/lists/:slug', ListPage],
  ['/subscribers', SubscribersPage],
  ['/subscribers/:id', SubscriberPage],
  ['/segments', SegmentsPage],
  ['/import', ImportPage],
  ['/suppressions', SuppressionsPage],
  ['/settings', SettingsPage],
  ['/audit', AuditPage],
];

function App() {
  const { path, query } = useLocation();
  const operator = useOperator();
  const [checked, setChecked] = useState(false);
  const publicPage = path === '/login' || path === '/set-password';

  useEffect(() => {
    whenSignedOut(() => {
      setOperator(undefined);
      if (!location.pathname.startsWith('/admin/login')) navigate(`/login?next=${encodeURIComponent(location.pathname + location.search)}`, { replace: true });
    });
    // The login and set-password pages need no session (and asking would only log a 401).
    if (publicPage) return setChecked(true);
    get<{ operator: Operator; csrfToken?: string; publicUrl?: string }>('/session').then(
      (s) => {
        setCsrfToken(s.csrfToken);
        setPublicUrl(s.publicUrl);
        setLocale(s.operator.locale);
        setOperator(s.operator);
        setChecked(true);
      },
      (err) => {
        setChecked(true);
        if (err instanceof ApiFailure && err.status === 401 && !publicPage) navigate(`/login?next=${encodeURIComponent(location.pathname + location.search)}`, { replace: true });
      },
    );
  }, []);

  if (path === '/login') return <LoginPage next={query.get('next')} />;
  if (path === '/set-password') return <SetPasswordPage />;
  if (!checked || !operator) return <Loading />;
  for (const [pattern, Component] of ROUTES) {
    const params = match(pattern, path);
    if (params) return <Layout path={path}><Component params={params} query={query} /></Layout>;
  }
  return (
    <Layout path={path}>
      <h1>{t('notFound.title')}</h1>
      <p>{t('notFound.body')}</p>
    </Layout>
  );
}

setLocale(null);
interceptLinks();
render(
  <>
    <App />
    <Toasts />
  </>,
  document.getElementById('app')!,
);
