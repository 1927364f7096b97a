import type { ComponentChildren, JSX } from 'preact';
import { useEffect, useId, useRef, useState } from 'preact/hooks';
import { ApiFailure } from './api';
import { fmtNumber, t, type Key } from './i18n';

export function PageHeader(props: { title: string; subtitle?: ComponentChildren; actions?: ComponentChildren; back?: { href: string; label: string } }) {
  useEffect(() => {
    document.title = `${props.title} · Tidings`;
  }, [props.title]);
  return (
    <header class="page-header">
      {props.back && (
        <a class="back" href={props.back.href}>
          ← {props.back.label}
        </a>
      )}
      <div class="page-title">
        <h1>{props.title}</h1>
        {props.actions && <div class="actions">{props.actions}</div>}
      </div>
      {props.subtitle && <p class="subtitle">{props.subtitle}</p>}
    </header>
  );
}

export function Card(props: { title?: string; actions?: ComponentChildren; children: ComponentChildren; class?: string; id?: string }) {
  const id = useId();
  return (
    <section class={`card ${props.class ?? ''}`} aria-labelledby={props.title ? id : undefined} id={props.id}>
      {(props.title || props.actions) && (
        <div class="card-head">
          {props.title && <h2 id={id}>{props.title}</h2>}
          {props.actions && <div class="actions">{props.actions}</div>}
        </div>
      )}
      {props.children}
    </section>
  );
}

/** A labelled control: the label is tied to the control by id, hints and errors by aria-describedby. */
export function Field(props: { label: string; hint?: ComponentChildren; error?: string; children: (id: string, describedBy: string | undefined) => ComponentChildren; class?: string }) {
  const id = useId();
  const hintId = props.hint ? `${id}-hint` : undefined;
  const errorId = props.error ? `${id}-error` : undefined;
  const describedBy = [hintId, errorId].filter(Boolean).join(' ') || undefined;
  return (
    <div class={`field ${props.error ? 'invalid' : ''} ${props.class ?? ''}`}>
      <label for={id}>{props.label}</label>
      {props.children(id, describedBy)}
      {props.hint && (
        <p class="hint" id={hintId}>
          {props.hint}
        </p>
      )}
      {props.error && (
        <p class="error-text" id={errorId}>
          {props.error}
        </p>
      )}
    </div>
  );
}

export function TextField(props: { label: string; value: string; onInput: (v: string) => void; type?: string; hint?: ComponentChildren; error?: string; required?: boolean; autoComplete?: string; placeholder?: string; name?: string; class?: string; inputMode?: JSX.HTMLAttributes<HTMLInputElement>['inputMode'] }) {
  return (
    <Field label={props.label} hint={props.hint} error={props.error} class={props.class}>
      {(id, describedBy) => (
        <input
          id={id}
          name={props.name}
          type={props.type ?? 'text'}
          value={props.value}
          required={props.required}
          autoComplete={props.autoComplete}
          placeholder={props.placeholder}
          inputMode={props.inputMode}
          aria-describedby={describedBy}
          aria-invalid={props.error ? 'true' : undefined}
          onInput={(e) => props.onInput((e.target as HTMLInputElement).value)}
        />
      )}
    </Field>
  );
}

export function SelectField<T extends string>(props: { label: string; value: T; options: Array<{ value: T; label: string }>; onChange: (v: T) => void; hint?: ComponentChildren; class?: string }) {
  return (
    <Field label={props.label} hint={props.hint} class={props.class}>
      {(id, describedBy) => (
        <select id={id} value={props.value} aria-describedby={describedBy} onChange={(e) => props.onChange((e.target as HTMLSelectElement).value as T)}>
          {props.options.map((o) => (
            <option value={o.value} key={o.value}>
              {o.label}
            </option>
          ))}
        </select>
      )}
    </Field>
  );
}

export function Checkbox(props: { label: string; checked: boolean; onChange: (v: boolean) => void; hint?: string }) {
  const id = useId();
  return (
    <div class="check">
      <input id={id} type="checkbox" checked={props.checked} onChange={(e) => props.onChange((e.target as HTMLInputElement).checked)} aria-describedby={props.hint ? `${id}-h` : undefined} />
      <label for={id}>{props.label}</label>
      {props.hint && (
        <p class="hint" id={`${id}-h`}>
          {props.hint}
        </p>
      )}
    </div>
  );
}

export function Alert(props: { kind?: 'error' | 'success' | 'warning' | 'info'; children: ComponentChildren }) {
  const kind = props.kind ?? 'info';
  return (
    <div class={`alert ${kind}`} role={kind === 'error' ? 'alert' : 'status'}>
      {props.children}
    </div>
  );
}

/** An API failure in the operator's words (the server's message names the field and the fix). */
export function errorMessage(error: unknown): string {
  if (error instanceof ApiFailure) {
    if (error.code === 'NETWORK') return t('error.network');
    if (error.status === 403 && error.code === 'FORBIDDEN') return t('error.forbidden');
    return error.message;
  }
  return String((error as Error)?.message ?? error);
}

export function ErrorBox({ error }: { error: unknown }) {
  return error ? <Alert kind="error">{errorMessage(error)}</Alert> : null;
}

export function Loading() {
  return (
    <p class="muted" role="status">
      {t('common.loading')}
    </p>
  );
}

export function Empty(props: { children: ComponentChildren }) {
  return <p class="empty">{props.children}</p>;
}

const STATUS_KEYS: Record<string, Key> = {
  scheduled: 'status.scheduled', queued: 'status.queued', fanning_out: 'status.fanning_out', sending: 'status.sending', paused: 'status.paused',
  finished: 'status.finished', cancelled: 'status.cancelled', failed: 'status.failed', confirmed: 'status.confirmed', unconfirmed: 'status.unconfirmed',
  unsubscribed: 'status.unsubscribed', active: 'status.active', blocked: 'status.blocked', sent: 'status.sent', retrying: 'status.retrying',
  suppressed: 'status.suppressed', running: 'status.running', hard_bounce: 'status.hard_bounce', soft_bounce: 'status.soft_bounce', complaint: 'status.complaint', manual: 'status.manual',
};

export function statusLabel(status: string): string {
  const key = STATUS_KEYS[status];
  return key ? t(key) : status;
}

export function Badge({ status }: { status: string }) {
  return <span class={`badge s-${status}`}>{statusLabel(status)}</span>;
}

export function ProgressBar(props: { value: number; max: number; label: string }) {
  const pct = props.max > 0 ? Math.min(100, (props.value / props.max) * 100) : 0;
  return (
    <div class="progress" role="progressbar" aria-label={props.label} aria-valuemin={0} aria-valuemax={100} aria-valuenow={Math.round(pct)} aria-valuetext={`${Math.round(pct)} %`}>
      <span style={{ width: `${pct}%` }} />
    </div>
  );
}

export function Stat(props: { label: string; value: ComponentChildren; hint?: ComponentChildren; tone?: 'bad' | 'good' | 'warn' }) {
  return (
    <div class={`stat ${props.tone ?? ''}`}>
      <span class="stat-label">{props.label}</span>
      <span class="stat-value">{props.value}</span>
      {props.hint && <span class="stat-hint">{props.hint}</span>}
    </div>
  );
}

/** A modal confirmation (the native <dialog>: focus is trapped and Escape closes it). */
export function ConfirmDialog(props: { open: boolean; title: string; children: ComponentChildren; confirmLabel: string; danger?: boolean; busy?: boolean; onConfirm: () => void; onCancel: () => void }) {
  const ref = useRef<HTMLDialogElement>(null);
  const id = useId();
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (props.open && !d.open) d.showModal();
    if (!props.open && d.open) d.close();
  }, [props.open]);
  return (
    <dialog ref={ref} aria-labelledby={id} onCancel={(e) => { e.preventDefault(); props.onCancel(); }}>
      <h2 id={id}>{props.title}</h2>
      <div class="dialog-body">{props.children}</div>
      <div class="dialog-actions">
        <button type="button" class="btn" onClick={props.onCancel}>
          {t('common.cancel')}
        </button>
        <button type="button" class={`btn ${props.danger ? 'danger' : 'primary'}`} onClick={props.onConfirm} disabled={props.busy}>
          {props.confirmLabel}
        </button>
      </div>
    </dialog>
  );
}

/** A small line chart (SVG) with a text summary for screen readers; series share one y axis. */
export function LineChart(props: { labels: string[]; series: Array<{ name: string; values: number[]; color: string }>; summary: string; height?: number }) {
  const width = 640;
  const height = props.height ?? 180;
  const pad = { l: 36, r: 8, t: 8, b: 22 };
  const max = Math.max(1, ...props.series.flatMap((s) => s.values));
  const n = Math.max(1, props.labels.length - 1);
  const x = (i: number) => pad.l + (i / n) * (width - pad.l - pad.r);
  const y = (v: number) => pad.t + (1 - v / max) * (height - pad.t - pad.b);
  const ticks = [0, max / 2, max];
  return (
    <figure class="chart">
      <svg viewBox={`0 0 ${width} ${height}`} role="img" aria-label={props.summary} preserveAspectRatio="none">
        {ticks.map((v) => (
          <g key={v}>
            <line x1={pad.l} x2={width - pad.r} y1={y(v)} y2={y(v)} class="grid" />
            <text x={pad.l - 6} y={y(v) + 4} text-anchor="end">
              {fmtNumber(v)}
            </text>
          </g>
        ))}
        {props.labels.map((label, i) =>
          i % Math.ceil(props.labels.length / 6) === 0 ? (
            <text key={label + i} x={x(i)} y={height - 6} text-anchor="middle">
              {label}
            </text>
          ) : null,
        )}
        {props.series.map((s) => (
          <polyline key={s.name} fill="none" stroke={s.color} stroke-width="2" points={s.values.map((v, i) => `${x(i)},${y(v)}`).join(' ')} />
        ))}
      </svg>
      <figcaption class="legend">
        {props.series.map((s) => (
          <span key={s.name}>
            <i style={{ background: s.color }} aria-hidden="true" />
            {s.name}
          </span>
        ))}
      </figcaption>
    </figure>
  );
}

/** Status messages ("Saved") announced politely and gone after a few seconds. */
let pushToast: (text: string) => void = () => {};
export function toast(text: string): void {
  pushToast(text);
}

export function Toasts() {
  const [items, setItems] = useState<Array<{ id: number; text: string }>>([]);
  useEffect(() => {
    let n = 0;
    pushToast = (text) => {
      const id = ++n;
      setItems((list) => [...list, { id, text }]);
      setTimeout(() => setItems((list) => list.filter((i) => i.id !== id)), 4000);
    };
  }, []);
  return (
    <div class="toasts" role="status" aria-live="polite">
      {items.map((i) => (
        <div class="toast" key={i.id}>
          {i.text}
        </div>
      ))}
    </div>
  );
}

/** Previous/next for keyset-paged tables. */
export function Pager(props: { hasPrev: boolean; hasNext: boolean; onPrev: () => void; onNext: () => void; label?: string }) {
  if (!props.hasPrev && !props.hasNext) return null;
  return (
    <nav class="pager" aria-label={props.label ?? t('common.pages')}>
      <button type="button" class="btn" disabled={!props.hasPrev} onClick={props.onPrev}>
        ← {t('common.previous')}
      </button>
      <button type="button" class="btn" disabled={!props.hasNext} onClick={props.onNext}>
        {t('common.next')} →
      </button>
    </nav>
  );
}
