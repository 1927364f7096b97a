import { useEffect, useRef, useState } from 'preact/hooks';
import { api, get, post } from '../api';
import { Alert, Card, ErrorBox, Loading, PageHeader, ProgressBar, SelectField, Stat, toast } from '../components';
import { csvLine, detectDelimiter, parseCsv } from '../csv';
import { useApi } from '../hooks';
import { fmtNumber, t } from '../i18n';
import { BASE } from '../router';
import { can } from '../session';

type Target = 'email' | 'name' | 'attribute' | 'number' | 'boolean' | 'date' | 'skip';
interface Job { id: number; status: string; rowsRead: number; imported: number; subscribed: number; rejected: number; error: string | null }

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

function guessTarget(header: string): Target {
  const h = header.trim().toLowerCase();
  if (/^(e-?mail|email address|e-mail address|邮箱|电子邮件)$/.test(h)) return 'email';
  if (/^(name|full name|first name|姓名|名字)$/.test(h)) return 'name';
  return 'attribute';
}

function attributeName(header: string): string {
  return header.trim().toLowerCase().replace(/:.*$/, '').replace(/[^a-z0-9_\u4e00-\u9fff]+/g, '_').replace(/^_+|_+$/g, '') || 'column';
}

export function ImportPage() {
  const lists = useApi<{ lists: Array<{ slug: string; name: string }> }>('/lists');
  const [file, setFile] = useState<File>();
  const [text, setText] = useState<string>();
  const [delimiter, setDelimiter] = useState(',');
  const [targets, setTargets] = useState<Target[]>([]);
  const [list, setList] = useState('');
  const [status, setStatus] = useState<'confirmed' | 'unconfirmed'>('confirmed');
  const [dragging, setDragging] = useState(false);
  const [job, setJob] = useState<Job>();
  const [error, setError] = useState<unknown>();
  const [running, setRunning] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => {
    if (!list && lists.data?.lists[0]) setList(lists.data.lists[0].slug);
  }, [lists.data]);

  async function choose(f: File | undefined) {
    if (!f) return;
    setFile(f);
    setJob(undefined);
    setError(undefined);
    const content = await f.text();
    const d = detectDelimiter(content.slice(0, content.indexOf('\n') + 1 || 2000));
    setDelimiter(d);
    setText(content);
    const header = parseCsv(content, d, 1)[0] ?? [];
    setTargets(header.map(guessTarget));
  }

  const rows = text ? parseCsv(text, delimiter) : [];
  const header = rows[0] ?? [];
  // Blank rows are kept (the importer counts them), so rejected line numbers point at the same rows here.
  const body = rows.slice(1).filter((r, i, all) => i < all.length - 1 || r.some((v) => v.trim() !== ''));
  const emailIndex = targets.indexOf('email');
  const check = (() => {
    if (emailIndex < 0) return undefined;
    const seen = new Set<string>();
    let valid = 0, invalid = 0, duplicate = 0;
    for (const r of body) {
      const e = (r[emailIndex] ?? '').trim().toLowerCase();
      if (!EMAIL.test(e)) invalid++;
      else if (seen.has(e)) duplicate++;
      else { seen.add(e); valid++; }
    }
    return { valid, invalid, duplicate };
  })();

  /** The file as the importer reads it: email, name and typed attribute columns, skipped columns left out. */
  function mappedCsv(): string {
    const keep = targets.map((tg, i) => ({ tg, i })).filter((x) => x.tg !== 'skip');
    const head = keep.map(({ tg, i }) => (tg === 'email' ? 'email' : tg === 'name' ? 'name' : tg === 'attribute' ? attributeName(header[i]) : `${attributeName(header[i])}:${tg}`));
    return [csvLine(head), ...body.map((r) => csvLine(keep.map(({ i }) => r[i] ?? '')))].join('\n') + '\n';
  }

  async function run() {
    setRunning(true);
    setError(undefined);
    try {
      const created = await post<Job>('/imports', { list, status, source: file?.name.slice(0, 200) ?? 'app' });
      setJob(created);
      let finished = false;
      const poll = async () => {
        while (!finished) {
          await new Promise((r) => setTimeout(r, 400));
          if (finished) break;
          const j = await get<Job>(`/imports/${created.id}`).catch(() => undefined);
          if (j && !finished) setJob(j);
        }
      };
      void poll();
      const result = await api<Job>('PUT', `/imports/${created.id}/csv`, undefined, { raw: mappedCsv(), contentType: 'text/csv; charset=utf-8' });
      finished = true;
      setJob(result);
      toast(t('import.done', { n: fmtNumber(result.imported) }));
    } catch (err) {
      setError(err);
    } finally {
      setRunning(false);
    }
  }

  async function downloadRejected() {
    if (!job) return;
    const { rejections } = await get<{ rejections: Array<{ line: number; reason: string }> }>(`/imports/${job.id}/rejections?limit=10000`);
    const csv = [csvLine(['line', 'reason', ...header]), ...rejections.map((r) => csvLine([String(r.line), r.reason, ...(rows[r.line - 1] ?? [])]))].join('\n') + '\n';
    const a = document.createElement('a');
    a.href = URL.createObjectURL(new Blob([csv], { type: 'text/csv' }));
    a.download = `rejected-${job.id}.csv`;
    a.click();
    URL.revokeObjectURL(a.href);
  }

  if (!can('editor')) return <Alert kind="warning">{t('error.forbidden')}</Alert>;
  if (!lists.data) return <Loading />;
  const total = body.length;
  return (
    <>
      <PageHeader title={t('nav.import')} subtitle={t('import.intro')} />
      <Card title={t('import.file')}>
        <div
          class={`dropzone ${dragging ? 'over' : ''}`}
          onDragOver={(e) => { e.preventDefault(); setDragging(true); }}
          onDragLeave={() => setDragging(false)}
          onDrop={(e) => { e.preventDefault(); setDragging(false); void choose(e.dataTransfer?.files[0]); }}
        >
          <p>{file ? t('import.chosen', { name: file.name, kb: fmtNumber(file.size / 1024, 0) }) : t('import.drop')}</p>
          <label class="btn" for="csv-file">{t('import.choose')}</label>
          <input id="csv-file" ref={input} type="file" accept=".csv,text/csv,text/plain" class="visually-hidden-file" onChange={(e) => void choose((e.target as HTMLInputElement).files?.[0])} />
        </div>
      </Card>
      {text && (
        <Card title={t('import.mapping')}>
          <p class="muted small">{t('import.shape', { rows: fmtNumber(total), columns: header.length, delimiter: delimiter === '\t' ? 'Tab' : delimiter })}</p>
          <div class="table-wrap" tabIndex={0} role="region" aria-label={t('common.table')}>
            <table class="mapping">
              <thead>
                <tr>
                  {header.map((h, i) => (
                    <th scope="col" key={i}>
                      <div>{h}</div>
                      <label class="sr-only" for={`map-${i}`}>{t('import.columnAs', { column: h })}</label>
                      <select id={`map-${i}`} value={targets[i]} onChange={(e) => setTargets(targets.map((x, j) => (j === i ? ((e.target as HTMLSelectElement).value as Target) : x)))}>
                        {(['email', 'name', 'attribute', 'number', 'boolean', 'date', 'skip'] as Target[]).map((tg) => <option key={tg} value={tg}>{t(`import.target.${tg}` as never)}</option>)}
                      </select>
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {body.slice(0, 5).map((r, n) => (
                  <tr key={n}>{header.map((_, i) => <td key={i} class={targets[i] === 'skip' ? 'muted' : ''}>{r[i] ?? ''}</td>)}</tr>
                ))}
              </tbody>
            </table>
          </div>
          {emailIndex < 0 ? <Alert kind="error">{t('import.noEmail')}</Alert> : targets.filter((x) => x === 'email').length > 1 ? <Alert kind="error">{t('import.twoEmails')}</Alert> : check && (
            <div class="stats tight" data-testid="dry-run">
              <Stat label={t('import.willImport')} value={fmtNumber(check.valid)} tone="good" />
              <Stat label={t('import.invalid')} value={fmtNumber(check.invalid)} tone={check.invalid ? 'bad' : undefined} />
              <Stat label={t('import.duplicates')} value={fmtNumber(check.duplicate)} />
            </div>
          )}
          <div class="row">
            <SelectField label={t('import.into')} value={list} onChange={setList} options={lists.data.lists.map((l) => ({ value: l.slug, label: l.name }))} />
            <SelectField label={t('import.as')} value={status} onChange={setStatus} options={[{ value: 'confirmed', label: t('status.confirmed') }, { value: 'unconfirmed', label: t('status.unconfirmed') }]} hint={t('import.asHint')} />
          </div>
          <div class="form-actions">
            <button type="button" class="btn primary" disabled={running || emailIndex < 0 || !list || targets.filter((x) => x === 'email').length !== 1} onClick={() => void run()}>{t('import.start', { n: fmtNumber(total) })}</button>
          </div>
        </Card>
      )}
      <ErrorBox error={error} />
      {job && (
        <Card title={t('import.progress')}>
          <ProgressBar value={job.rowsRead} max={Math.max(total, 1)} label={t('import.progress')} />
          <div class="stats tight" data-testid="import-result">
            <Stat label={t('import.read')} value={fmtNumber(job.rowsRead)} />
            <Stat label={t('import.imported')} value={fmtNumber(job.imported)} tone="good" />
            <Stat label={t('import.subscribed')} value={fmtNumber(job.subscribed)} />
            <Stat label={t('import.rejected')} value={fmtNumber(job.rejected)} tone={job.rejected ? 'bad' : undefined} />
          </div>
          {job.error && <Alert kind="error">{job.error}</Alert>}
          {job.status === 'finished' && (
            <div class="form-actions">
              {job.rejected > 0 && <button class="btn" onClick={() => void downloadRejected()}>{t('import.downloadRejected')}</button>}
              <a class="btn" href={`${BASE}/subscribers?list=${list}`}>{t('import.see')}</a>
            </div>
          )}
        </Card>
      )}
    </>
  );
}
