import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ApiFailure, get } from './api';

export interface Loaded<T> {
  data: T | undefined;
  error: ApiFailure | undefined;
  loading: boolean;
  reload(): void;
}

/** GETs an API path and re-fetches when it changes; `null` fetches nothing. */
export function useApi<T>(path: string | null): Loaded<T> {
  const [state, setState] = useState<{ data?: T; error?: ApiFailure; loading: boolean }>({ loading: path !== null });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    if (path === null) return;
    const controller = new AbortController();
    setState((s) => ({ ...s, loading: true }));
    get<T>(path, { signal: controller.signal }).then(
      (data) => setState({ data, loading: false }),
      (error) => {
        if ((error as Error).name !== 'AbortError') setState((s) => ({ data: s.data, error: error as ApiFailure, loading: false }));
      },
    );
    return () => controller.abort();
  }, [path, tick]);
  const reload = useCallback(() => setTick((n) => n + 1), []);
  return { ...state, reload } as Loaded<T>;
}

/** The latest value of the server's live-progress stream (/admin/events), shared by every page that listens. */
export interface SendSummary {
  id: number;
  status: string;
  statusReason: string | null;
  issue: string;
  subject: string;
  list: string;
  total: number;
  scheduledAt: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  createdAt: string;
  counts: Record<string, number>;
}

export function useLiveSends(): { sends: SendSummary[] | undefined; at: number | undefined } {
  const [state, setState] = useState<{ sends?: SendSummary[]; at?: number }>({});
  useEffect(() => {
    const source = new EventSource('/admin/events');
    source.addEventListener('sends', (event) => {
      const data = JSON.parse((event as MessageEvent).data) as { sends: SendSummary[]; at: string };
      setState({ sends: data.sends, at: Date.parse(data.at) });
    });
    return () => source.close();
  }, []);
  return { sends: state.sends, at: state.at };
}

/** A value that follows `value` after it stopped changing for `ms`. */
export function useDebounced<T>(value: T, ms: number): T {
  const [debounced, setDebounced] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setDebounced(value), ms);
    return () => clearTimeout(timer);
  }, [value, ms]);
  return debounced;
}

/** Rate (per second) and ETA from successive progress snapshots. */
export function useRate(done: number, total: number, at: number | undefined): { rate: number; eta: number } {
  const samples = useRef<Array<{ done: number; at: number }>>([]);
  if (at !== undefined && (samples.current.length === 0 || samples.current[samples.current.length - 1].at !== at)) {
    samples.current.push({ done, at });
    if (samples.current.length > 15) samples.current.shift();
  }
  const s = samples.current;
  if (s.length < 2) return { rate: 0, eta: NaN };
  const first = s[0];
  const last = s[s.length - 1];
  const rate = last.at > first.at ? ((last.done - first.done) * 1000) / (last.at - first.at) : 0;
  return { rate, eta: rate > 0 ? (total - done) / rate : NaN };
}

/** Keyset paging: the `before` cursor of the current page, and the Pager's props for the page's `next` cursor. */
export function useKeysetPages(): {
  before: number | undefined;
  reset(): void;
  pager(next: number | null | undefined): { hasPrev: boolean; hasNext: boolean; onPrev(): void; onNext(): void };
} {
  const [pages, setPages] = useState<number[]>([]);
  return {
    before: pages.at(-1),
    reset: () => setPages([]),
    pager: (next) => ({ hasPrev: pages.length > 0, hasNext: Boolean(next), onPrev: () => setPages(pages.slice(0, -1)), onNext: () => next && setPages([...pages, next]) }),
  };
}
