import type { Text } from '@codemirror/state';
import type { EditorView } from '@codemirror/view';
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiFailure, api, post } from '../api';
import { Alert, Card, ErrorBox, errorMessage, Loading, PageHeader, TextField, toast } from '../components';
import { createEditor, findingLine, insertText, showFindings, type Finding } from '../editor';
import { useApi, useDebounced } from '../hooks';
import { fmtNumber, t } from '../i18n';
import { BASE } from '../router';
import { can, useOperator } from '../session';

/** A few random letters: two new issues (or copies) of one day must not share a slug, or the second would overwrite the first. */
const suffix = () => Math.random().toString(36).slice(2, 6);

const newIssue = () => `---
slug: issue-${new Date().toISOString().slice(0, 10)}-${suffix()}
subject: "Our newsletter"
preheader: "What is new this time"
default_name: reader
postal_address: "Your organisation · 1 Main Street · City"
---

# Our newsletter

Write the introduction here. **Markdown** works, and so do [links](https://example.com/).

## The first story

A sentence or two about it. [Read more](https://example.com/)

Thanks for reading.
`;

/** Where a duplicated issue's text waits for the new composer. */
const DUPLICATE_KEY = 'tidings.duplicate';
/**
 * Images dropped into the text become paragraphs of their own (a standalone image is a full-width image in
 * the email; inside a paragraph it would be inline): blank lines are added where text touches them.
 */
function standalone(doc: Text, at: number): { before: string; after: string } {
  const line = doc.lineAt(at);
  const textBefore = doc.sliceString(line.from, at).trim() !== '';
  const textAfter = doc.sliceString(at, line.to).trim() !== '';
  const lineAbove = line.number > 1 && doc.line(line.number - 1).text.trim() !== '';
  const lineBelow = line.number < doc.lines && doc.line(line.number + 1).text.trim() !== '';
  return { before: textBefore ? '\n\n' : lineAbove ? '\n' : '', after: textAfter ? '\n\n' : lineBelow ? '\n' : '' };
}

const draftKey = (ref: string | undefined) => `tidings.draft.${ref ?? 'new'}`;

interface Preview {
  ok: boolean;
  subject: string | null;
  html: string | null;
  htmlBytes: number;
  errors: Finding[];
  warnings: Finding[];
}

type SaveState = 'idle' | 'saving' | 'saved' | 'local' | 'invalid' | 'sent' | 'failed';

/** Markdown opens with front matter; anything else is the YAML format. */
function contentType(source: string): string {
  return /^\uFEFF?---\s*\n/.test(source) ? 'text/markdown; charset=utf-8' : 'application/yaml; charset=utf-8';
}

function slugOf(source: string): string | undefined {
  return /^slug:\s*["']?([a-z0-9][a-z0-9-]*)["']?\s*$/m.exec(source)?.[1];
}

export function ComposerPage({ params }: { params: Record<string, string> }) {
  const ref = params.ref;
  const [loaded, setLoaded] = useState<{ source: string; sends: number } | undefined>(ref ? undefined : { source: sessionStorage.getItem(DUPLICATE_KEY) ?? newIssue(), sends: 0 });
  const [loadError, setLoadError] = useState<unknown>();
  useEffect(() => {
    if (!ref) {
      sessionStorage.removeItem(DUPLICATE_KEY);
      return;
    }
    setLoaded(undefined);
    fetch(`/api/issues/${encodeURIComponent(ref)}/source`, { credentials: 'same-origin' }).then(async (res) => {
      if (!res.ok) throw new ApiFailure(res.status, 'HTTP', ((await res.json().catch(() => ({}))) as { error?: { message?: string } }).error?.message ?? res.statusText);
      setLoaded({ source: await res.text(), sends: Number(res.headers.get('x-tidings-sends') ?? 0) });
    }).catch(setLoadError);
  }, [ref]);
  if (loadError) return <ErrorBox error={loadError} />;
  if (!loaded) return <Loading />;
  return <Composer key={ref ?? 'new'} ref_={ref} initial={loaded.source} sent={loaded.sends > 0} />;
}

function Composer({ ref_: initialRef, initial, sent }: { ref_: string | undefined; initial: string; sent: boolean }) {
  const operator = useOperator()!;
  // A new issue gets its slug when first saved; the address follows without reloading the editor.
  const [ref, setRef] = useState(initialRef);
  const currentRef = useRef(initialRef);
  currentRef.current = ref;
  const editable = can('editor') && !sent;
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView>();
  const local = localStorage.getItem(draftKey(ref));
  const [restore, setRestore] = useState(local !== null && local !== initial && editable);
  const [source, setSource] = useState(initial);
  const [preview, setPreview] = useState<Preview>();
  const [previewError, setPreviewError] = useState<unknown>();
  // A phone shows the phone-width preview first (the desktop one would not fit its screen).
  const [width, setWidth] = useState<375 | 700>(() => (window.matchMedia('(max-width: 720px)').matches ? 375 : 700));
  const [save, setSave] = useState<SaveState>(sent ? 'sent' : 'idle');
  const lastSaved = useRef(initial);
  const [testTo, setTestTo] = useState(operator.email);
  const [testBusy, setTestBusy] = useState(false);
  const [uploadNote, setUploadNote] = useState<string>();
  const uploads = useRef(0);
  const templates = useApi<{ templates: string[] }>('/templates');
  const debounced = useDebounced(source, 400);
  const [retry, setRetry] = useState(0);

  useEffect(() => {
    if (!host.current) return;
    view.current = createEditor(host.current, initial, {
      label: t('composer.editorLabel'),
      readOnly: !editable,
      onChange: (text) => {
        setSource(text);
        // Under the issue's slug as it is now (a new issue gets one when first saved).
        if (editable) localStorage.setItem(draftKey(currentRef.current), text);
      },
      onPasteFiles: (files, at) => void upload(files, at),
    });
    return () => view.current?.destroy();
  }, []);

  // Live preview and preflight from the real renderer, a moment after typing stops.
  useEffect(() => {
    const controller = new AbortController();
    api<Preview>('POST', '/issues/preview', undefined, { raw: debounced, contentType: contentType(debounced), signal: controller.signal }).then(
      (p) => {
        setPreview(p);
        setPreviewError(undefined);
        if (view.current) showFindings(view.current, [...p.errors, ...p.warnings]);
      },
      (err) => {
        if ((err as Error).name === 'AbortError') return;
        // The server is out of reach: the text is safe in this browser, and is sent once it answers again.
        if (err instanceof ApiFailure && err.code === 'NETWORK') {
          if (editable && debounced !== lastSaved.current) setSave('local');
          return;
        }
        setPreviewError(err);
      },
    );
    return () => controller.abort();
  }, [debounced, retry]);

  // While the server is out of reach: try again when the browser is back online, and every 10 s.
  useEffect(() => {
    if (save !== 'local') return;
    const again = () => setRetry((n) => n + 1);
    const timer = setInterval(again, 10_000);
    window.addEventListener('online', again);
    return () => {
      clearInterval(timer);
      window.removeEventListener('online', again);
    };
  }, [save]);

  // Autosave: the text is kept in this browser on every change; the server gets each version that renders.
  useEffect(() => {
    if (!editable || !preview || debounced !== source) return;
    if (debounced === lastSaved.current) return setSave(ref ? 'saved' : 'idle');
    if (!preview.ok) return setSave('invalid');
    setSave('saving');
    api<{ slug: string; created: boolean }>('POST', '/issues', undefined, { raw: debounced, contentType: contentType(debounced) }).then(
      (saved) => {
        lastSaved.current = debounced;
        localStorage.removeItem(draftKey(ref));
        setSave('saved');
        if (saved.slug !== ref) {
          localStorage.removeItem(draftKey(undefined));
          history.replaceState(null, '', `${BASE}/issues/${encodeURIComponent(saved.slug)}`);
          setRef(saved.slug);
        }
      },
      (err) => {
        setSave(err instanceof ApiFailure && err.code === 'NETWORK' ? 'local' : 'failed');
        setPreviewError(err instanceof ApiFailure && err.code === 'NETWORK' ? undefined : err);
      },
    );
  }, [preview]);

  /**
   * Each image goes to the media store; a placeholder marks its place meanwhile, so text typed during the
   * upload does not move where the image lands. A refused image leaves no trace but the message.
   */
  async function upload(files: File[], at: number) {
    const v = view.current;
    if (!v) return;
    const cores = files.map((file) => `![${t('composer.uploading', { name: file.name }).replace(/[\[\]]/g, '')}](#upload-${++uploads.current})`);
    // Each placeholder carries the blank lines around it, so a refused image leaves the text as it was.
    const { before, after } = standalone(v.state.doc, at);
    const pending = files.map((file, i) => ({ file, core: cores[i], mark: (i === 0 ? before : '') + cores[i] + (i < files.length - 1 ? '\n\n' : after) }));
    insertText(v, at, pending.map((p) => p.mark).join(''));
    for (const { file, core, mark } of pending) {
      setUploadNote(t('composer.uploading', { name: file.name }));
      let replacement: string | undefined;
      try {
        const form = new FormData();
        form.append('file', file);
        // No content type given: the browser sets multipart/form-data with its boundary.
        const res = await api<{ url: string }>('POST', '/media', undefined, { raw: form, contentType: null });
        replacement = `![${file.name.replace(/\.[^.]+$/, '').replace(/[\[\]]/g, '')}](${res.url})`;
        setUploadNote(t('composer.uploaded', { name: file.name }));
      } catch (err) {
        setUploadNote(t('composer.uploadFailed', { name: file.name, reason: errorMessage(err) }));
      }
      const current = view.current;
      if (!current) return;
      const doc = current.state.doc.toString();
      const [find, insert] = replacement === undefined ? [mark, ''] : [core, replacement];
      const where = doc.indexOf(find);
      if (where >= 0) current.dispatch({ changes: { from: where, to: where + find.length, insert } });
    }
  }

  function setTemplate(name: string) {
    const v = view.current;
    if (!v) return;
    const text = v.state.doc.toString();
    const m = /^template:.*$/m.exec(text);
    if (m) v.dispatch({ changes: { from: m.index, to: m.index + m[0].length, insert: `template: ${name}` } });
    // Into the front matter of a Markdown issue (after its opening ---), or at the top of a YAML one.
    else v.dispatch({ changes: { from: text.startsWith('---') ? text.indexOf('\n') + 1 : 0, insert: `template: ${name}\n` } });
  }

  function duplicate() {
    const slug = slugOf(source) ?? 'issue';
    sessionStorage.setItem(DUPLICATE_KEY, source.replace(/^slug:.*$/m, `slug: ${slug.replace(/-copy-[a-z0-9]{4}$/, '')}-copy-${suffix()}`));
    // A fresh load of the page: the composer (and its editor) start again from the copy, whatever issue was open.
    location.assign(`${BASE}/issues/new`);
  }

  function goTo(finding: Finding) {
    const line = findingLine(finding.where);
    const v = view.current;
    if (!v || !line || line > v.state.doc.lines) return;
    const l = v.state.doc.line(line);
    v.dispatch({ selection: { anchor: l.from }, scrollIntoView: true });
    v.focus();
  }

  async function sendTest() {
    setTestBusy(true);
    try {
      await post(`/issues/${encodeURIComponent(ref!)}/test`, { email: testTo });
      toast(t('composer.testSent', { to: testTo }));
    } catch (err) {
      toast(errorMessage(err));
    } finally {
      setTestBusy(false);
    }
  }

  const template = /^template:\s*(\S+)/m.exec(source)?.[1] ?? 'default';
  const saveLabel: Record<SaveState, string> = {
    idle: ref ? t('composer.saved') : '', saving: t('composer.saving'), saved: t('composer.saved'), local: t('composer.savedLocally'), invalid: t('composer.notSavedInvalid'), sent: t('composer.sentReadOnly'), failed: t('composer.saveFailed'),
  };
  const findings = preview ? [...preview.errors, ...preview.warnings] : [];
  return (
    <>
      <PageHeader
        title={preview?.subject ?? (ref ? ref : t('issues.new'))}
        back={{ href: `${BASE}/issues`, label: t('nav.issues') }}
        subtitle={<span class={`save-state s-${save}`} role="status" data-testid="save-state">{saveLabel[save]}</span>}
        actions={
          <>
            {can('editor') && <button type="button" class="btn" onClick={duplicate}>{t('composer.duplicate')}</button>}
            {can('editor') && ref && <a class="btn primary" href={`${BASE}/sends/new?issue=${encodeURIComponent(ref)}`}>{t('issues.send')}</a>}
          </>
        }
      />
      {sent && <Alert kind="info">{t('composer.sentNote')}</Alert>}
      {restore && (
        <Alert kind="warning">
          {t('composer.restore')}{' '}
          <button type="button" class="btn small" onClick={() => { view.current?.dispatch({ changes: { from: 0, to: view.current.state.doc.length, insert: local! } }); setRestore(false); }}>{t('composer.restoreYes')}</button>{' '}
          <button type="button" class="btn small ghost" onClick={() => { localStorage.removeItem(draftKey(ref)); setRestore(false); }}>{t('composer.restoreNo')}</button>
        </Alert>
      )}
      <div class="composer">
        <div class="composer-edit">
          <div class="toolbar">
            <label for="template-select">{t('composer.template')}</label>
            <select id="template-select" value={template} disabled={!editable} onChange={(e) => setTemplate((e.target as HTMLSelectElement).value)}>
              {(templates.data?.templates ?? [template]).map((name) => <option key={name} value={name}>{name}</option>)}
            </select>
            <span class="muted small">{t('composer.dropHint')}</span>
          </div>
          <div class={`editor ${editable ? '' : 'readonly'}`} ref={host} />
          {uploadNote && <p class="small" role="status">{uploadNote}</p>}
          <section class="findings" aria-label={t('composer.findings')} data-testid="findings">
            {preview && findings.length === 0 && <p class="ok-text">{t('composer.noFindings')}</p>}
            {findings.length > 0 && (
              <ul>
                {findings.map((f, i) => (
                  <li key={i} class={f.severity}>
                    <button type="button" class="linklike" onClick={() => goTo(f)}>
                      <strong>{f.severity === 'error' ? t('composer.error') : t('composer.warning')}</strong> {findingLine(f.where) ? t('composer.line', { n: findingLine(f.where)! }) : f.where}: {f.message}
                    </button>
                  </li>
                ))}
              </ul>
            )}
          </section>
        </div>
        <div class="composer-preview">
          <div class="toolbar" role="radiogroup" aria-label={t('composer.previewWidth')}>
            <button type="button" role="radio" aria-checked={width === 375} class={`btn small ${width === 375 ? 'pressed' : ''}`} onClick={() => setWidth(375)}>{t('composer.phone')}</button>
            <button type="button" role="radio" aria-checked={width === 700} class={`btn small ${width === 700 ? 'pressed' : ''}`} onClick={() => setWidth(700)}>{t('composer.desktop')}</button>
            {preview && <span class="muted small">{t('composer.size', { kb: fmtNumber(preview.htmlBytes / 1024, 0) })}</span>}
          </div>
          <ErrorBox error={previewError} />
          <div class="preview-frame" style={{ maxWidth: `${width + 2}px` }}>
            {preview?.html ? (
              <iframe title={t('composer.previewTitle')} sandbox="" srcDoc={preview.html} style={{ width: `${width}px` }} data-testid="preview" />
            ) : (
              <p class="muted">{preview ? t('composer.noPreview') : t('common.loading')}</p>
            )}
          </div>
          {ref && can('editor') && (
            <Card title={t('composer.test')}>
              <form class="row" onSubmit={(e) => { e.preventDefault(); void sendTest(); }}>
                <TextField label={t('composer.testTo')} type="email" value={testTo} onInput={setTestTo} />
                <button type="submit" class="btn" disabled={testBusy || save === 'saving'}>{t('composer.sendTest')}</button>
              </form>
            </Card>
          )}
        </div>
      </div>
    </>
  );
}
