import { useEffect, useRef, useState } from 'preact/hooks';
import { api, get, post, qs } from '../api';
import { Alert, Badge, Card, ErrorBox, Loading, PageHeader, ProgressBar, SelectField, Stat, toast } from '../components';
import { csvLine, detectDelimiter, parseCsv } from '../csv';
import { useApi, useDebounced } from '../hooks';
import { fmtNumber, t } from '../i18n';
import { BASE } from '../router';
import { can } from '../session';

type Target = 'email' | 'name' | 'status' | 'attribute' | 'number' | 'boolean' | 'date' | 'skip';
interface Job { id: number; status: string; rowsRead: number; imported: number; subscribed: number; rejected: number; error: string | null }
type Shape = 'mailchimp' | 'substack' | 'listmonk' | 'ghost' | 'kit' | 'buttondown' | 'beehiiv' | 'csv';
const SHAPES: Array<{ value: Shape; label: string }> = [
  { value: 'mailchimp', label: 'Mailchimp' }, { value: 'substack', label: 'Substack' }, { value: 'listmonk', label: 'listmonk' }, { value: 'ghost', label: 'Ghost' },
  { value: 'kit', label: 'Kit (ConvertKit)' }, { value: 'buttondown', label: 'Buttondown' }, { value: 'beehiiv', label: 'beehiiv' },
];
const STATUSES = ['confirmed', 'unconfirmed', 'unsubscribed', 'suppressed', 'disabled'] as const;
type RowStatus = (typeof STATUSES)[number];

/** POST /api/lists/:slug/imports/dry-run: how the server reads the file and what its rows would become. */
interface DryRun {
  shape: Shape;
  shapeLabel: string;
  detected: boolean;
  encoding: string;
  delimiter: ',' | ';' | '\t';
  rowsRead: number;
  rejectedCount: number;
  wouldImport: number;
  statuses: Record<RowStatus, number>;
  firstRejected: Array<{ line: number; reason: string }>;
  columns: string[];
  sample: Array<{ line: number; email: string; name: string; status: RowStatus; sourceStatus: string | null; attributes: Record<string, unknown> }>;
}

function decode(bytes: ArrayBuffer, encoding: string): string {
  try {
    return new TextDecoder(encoding).decode(bytes);
  } catch {
    return new TextDecoder().decode(bytes);
  }
}

function attributeText(attributes: Record<string, unknown>): string {
  return Object.entries(attributes).map(([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`).join(' · ');
}

function guessTarget(header: string): Target {
  const h = header.trim().toLowerCase();
  if (/^(e-?mail|email address|e-mail address|邮箱|电子邮件)$/.test(h)) return 'email';
  if (/^(name|full name|姓名|名字)$/.test(h)) return 'name';
  if (h === 'status') return 'status';
  return 'attribute';
}

function attributeName(header: string): string {
  return header.trim().toLowerCase().replace(/:.*$/, '').replace(/[^a-z0-9_\u4e00-\u9fff]+/g, '_').replace(/^_+|_+$/g, '') || 'column';
}

export function ImportPage() {
  const lists = useApi<{ lists: Array<{ slug: string; name: string }> }>('/lists');
  const [file, setFile] = useState<File>();
  const [bytes, setBytes] = useState<ArrayBuffer>();
  const [from, setFrom] = useState<Shape | ''>('');
  /** The file as the server read it (shape, encoding, separator); plain CSVs are then checked as mapped here. */
  const [reading, setReading] = useState<DryRun>();
  const [text, setText] = useState<string>();
  const [targets, setTargets] = useState<Target[]>([]);
  const [dry, setDry] = useState<DryRun>();
  const [dryError, setDryError] = useState<unknown>();
  const [checking, setChecking] = useState(false);
  const [list, setList] = useState('');
  const [status, setStatus] = useState<'confirmed' | 'unconfirmed'>('confirmed');
  const [dragging, setDragging] = useState(false);
  const [job, setJob] = useState<Job>();
  const [error, setError] = useState<unknown>();
  const [running, setRunning] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  // The first list until the operator picks one. Through the updater: this effect runs after the paint that
  // showed the select, so a choice made in between must win over the stale `list` of that render (a
  // fresh-clone e2e run imported into the first list although "Moving in" had been picked).
  useEffect(() => {
    const first = lists.data?.lists[0]?.slug;
    if (first) setList((current) => current || first);
  }, [lists.data]);

  const dryRun = (body: BodyInit, shape: Shape | '') =>
    api<DryRun>('POST', `/lists/${list}/imports/dry-run${qs({ status, from: shape || undefined, fileName: file?.name, sample: 5 })}`, undefined, { raw: body, contentType: 'text/csv' });

  // The file as it is: the server recognises the export's shape, encoding and separator.
  useEffect(() => {
    if (!bytes || !list) return;
    let current = true;
    setChecking(true);
    setDryError(undefined);
    dryRun(bytes, from).then(
      (result) => {
        if (!current) return;
        const decoded = decode(bytes, result.encoding);
        setReading(result);
        setText(decoded);
        if (result.shape === 'csv') setTargets((parseCsv(decoded, result.delimiter, 1)[0] ?? []).map(guessTarget));
        else setDry(result);
      },
      (err) => {
        if (!current) return;
        // No column the server takes for the address: read it here and let the operator say which one it is.
        const decoded = new TextDecoder().decode(bytes);
        const delimiter = detectDelimiter(decoded.slice(0, decoded.indexOf('\n') + 1 || 2000)) as DryRun['delimiter'];
        setReading(undefined);
        setText(decoded);
        setTargets((parseCsv(decoded, delimiter, 1)[0] ?? []).map(guessTarget));
        setDry(undefined);
        setDryError(err);
      },
    ).finally(() => current && setChecking(false));
    return () => { current = false; };
  }, [bytes, from, list, status]);

  const plain = text !== undefined && (!reading || reading.shape === 'csv');
  const delimiter = reading?.delimiter ?? (text ? detectDelimiter(text.slice(0, text.indexOf('\n') + 1 || 2000)) : ',');
  const rows = text ? parseCsv(text, delimiter) : [];
  const header = rows[0] ?? [];
  // Blank rows are kept (the importer counts them), so rejected line numbers point at the same rows here.
  const body = rows.slice(1).filter((r, i, all) => i < all.length - 1 || r.some((v) => v.trim() !== ''));
  const emailCount = targets.filter((x) => x === 'email').length;

  /** A plain CSV as the importer reads it: email, name, status and typed attribute columns, skipped columns left out. */
  function mappedCsv(): string {
    const keep = targets.map((tg, i) => ({ tg, i })).filter((x) => x.tg !== 'skip');
    const head = keep.map(({ tg, i }) => (tg === 'email' || tg === 'name' || tg === 'status' ? tg : tg === 'attribute' ? attributeName(header[i]) : `${attributeName(header[i])}:${tg}`));
    return [csvLine(head), ...body.map((r) => csvLine(keep.map(({ i }) => r[i] ?? '')))].join('\n') + '\n';
  }

  // A plain CSV: the dry run reads it as mapped, again whenever the mapping changes.
  const mappingKey = plain && emailCount === 1 && list ? `${list}|${status}|${targets.join(',')}` : '';
  const debouncedKey = useDebounced(mappingKey, 250);
  useEffect(() => {
    if (!debouncedKey || debouncedKey !== mappingKey) return;
    let current = true;
    setChecking(true);
    dryRun(mappedCsv(), 'csv').then(
      (result) => { if (current) { setDry(result); setDryError(undefined); } },
      (err) => { if (current) { setDry(undefined); setDryError(err); } },
    ).finally(() => current && setChecking(false));
    return () => { current = false; };
  }, [debouncedKey]);

  async function choose(f: File | undefined) {
    if (!f) return;
    setFile(f);
    setJob(undefined);
    setError(undefined);
    setDry(undefined);
    setReading(undefined);
    setFrom('');
    setBytes(await f.arrayBuffer());
  }

  async function run() {
    if (!bytes) return;
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
      const result = plain
        ? await api<Job>('PUT', `/imports/${created.id}/csv${qs({ from: 'csv' })}`, undefined, { raw: mappedCsv(), contentType: 'text/csv; charset=utf-8' })
        : await api<Job>('PUT', `/imports/${created.id}/csv${qs({ from: reading!.shape, fileName: file?.name })}`, undefined, { raw: bytes, contentType: 'text/csv' });
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
  const total = dry?.rowsRead ?? body.length;
  const ready = Boolean(dry) && !checking && !running && (!plain || emailCount === 1);
  const delimiterName = delimiter === '\t' ? 'Tab' : delimiter;
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
        <div class="row">
          <SelectField label={t('import.into')} value={list} onChange={setList} options={lists.data.lists.map((l) => ({ value: l.slug, label: l.name }))} />
          <SelectField label={t('import.as')} value={status} onChange={setStatus} options={[{ value: 'confirmed', label: t('status.confirmed') }, { value: 'unconfirmed', label: t('status.unconfirmed') }]} />
        </div>
        <p class="small muted">{t('import.asHint')}</p>
      </Card>
      {text !== undefined && (
        <Card title={t('import.mapping')}>
          <div class="row">
            <SelectField label={t('import.readAs')} value={from} onChange={(v) => { setDry(undefined); setFrom(v); }}
              options={[{ value: '' as const, label: t('import.detect') }, ...SHAPES, { value: 'csv' as const, label: t('import.plainCsv') }]} />
          </div>
          <p class="small" data-testid="import-shape">
            {reading ? t(reading.detected ? 'import.readDetected' : 'import.readNamed', { shape: reading.shape === 'csv' ? t('import.plainCsv') : reading.shapeLabel, encoding: reading.encoding.toUpperCase(), delimiter: reading.delimiter === '\t' ? 'Tab' : reading.delimiter }) : t('import.readHere', { delimiter: delimiterName })}
          </p>
          {plain ? (
            <>
              <p class="muted small">{t('import.shape', { rows: fmtNumber(body.length), columns: header.length, delimiter: delimiterName })}</p>
              <div class="table-wrap" tabIndex={0} role="region" aria-label={t('common.table')}>
                <table class="mapping">
                  <thead>
                    <tr>
                      {header.map((h, i) => (
                        <th scope="col" key={i}>
                          <div>{h}</div>
                          <label class="sr-only" for={`map-${i}`}>{t('import.columnAs', { column: h })}</label>
                          <select id={`map-${i}`} value={targets[i]} onChange={(e) => setTargets(targets.map((x, j) => (j === i ? ((e.target as HTMLSelectElement).value as Target) : x)))}>
                            {(['email', 'name', 'status', 'attribute', 'number', 'boolean', 'date', 'skip'] as Target[]).map((tg) => <option key={tg} value={tg}>{t(`import.target.${tg}` as never)}</option>)}
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
              {emailCount === 0 && <Alert kind="error">{t('import.noEmail')}</Alert>}
              {emailCount > 1 && <Alert kind="error">{t('import.twoEmails')}</Alert>}
            </>
          ) : dry && (
            <>
              <p class="muted small">{t('import.sampleHint', { columns: dry.columns.length })}</p>
              <div class="table-wrap" tabIndex={0} role="region" aria-label={t('import.sample')}>
                <table data-testid="import-sample">
                  <caption class="sr-only">{t('import.sample')}</caption>
                  <thead>
                    <tr>
                      <th scope="col" class="num">{t('import.line')}</th>
                      <th scope="col">{t('import.target.email')}</th>
                      <th scope="col">{t('import.target.name')}</th>
                      <th scope="col">{t('import.becomes')}</th>
                      <th scope="col">{t('import.attributes')}</th>
                    </tr>
                  </thead>
                  <tbody>
                    {dry.sample.map((r) => (
                      <tr key={r.line}>
                        <td class="num">{r.line}</td>
                        <td class="break">{r.email}</td>
                        <td>{r.name}</td>
                        <td><Badge status={r.status} />{r.sourceStatus && <div class="small muted">{t('import.fileSays', { word: r.sourceStatus })}</div>}</td>
                        <td class="small break">{attributeText(r.attributes)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            </>
          )}
          {checking && <Loading />}
          <ErrorBox error={dryError} />
          {dry && (
            <>
              <h3>{t('import.dryRun')}</h3>
              <p class="muted small">{t('import.dryRunHint', { rows: fmtNumber(dry.rowsRead) })}</p>
              <div class="stats tight" data-testid="dry-run">
                {STATUSES.filter((st) => st === 'confirmed' || dry.statuses[st] > 0).map((st) => (
                  <Stat key={st} label={t(`import.becomes.${st}` as never)} value={fmtNumber(dry.statuses[st])} tone={st === 'confirmed' ? 'good' : undefined} />
                ))}
                <Stat label={t('import.invalid')} value={fmtNumber(dry.rejectedCount)} tone={dry.rejectedCount ? 'bad' : undefined} />
              </div>
              {dry.firstRejected.length > 0 && (
                <details>
                  <summary>{t('import.firstRejected', { n: fmtNumber(dry.rejectedCount) })}</summary>
                  <ul class="plain small" data-testid="dry-run-rejected">
                    {dry.firstRejected.slice(0, 20).map((r) => <li key={r.line}>{t('import.lineReason', { line: r.line, reason: r.reason })}</li>)}
                  </ul>
                </details>
              )}
            </>
          )}
          <div class="form-actions">
            <button type="button" class="btn primary" disabled={!ready} onClick={() => void run()}>{t('import.start', { n: fmtNumber(total) })}</button>
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
