import { en } from './i18n/en';
import { zhCN } from './i18n/zh-CN';

export type Key = keyof typeof en;
export type Locale = 'en' | 'zh-CN';
export const LOCALES: Array<{ code: Locale; name: string }> = [
  { code: 'en', name: 'English' },
  { code: 'zh-CN', name: '简体中文' },
];

const catalogues: Record<Locale, Record<Key, string>> = { en, 'zh-CN': zhCN };
let current: Locale = detectLocale();

/** The browser's first language we have: Chinese for any zh, English otherwise. */
export function detectLocale(): Locale {
  const langs = typeof navigator === 'undefined' ? [] : navigator.languages ?? [navigator.language];
  for (const lang of langs) {
    if (/^zh/i.test(lang)) return 'zh-CN';
    if (/^en/i.test(lang)) return 'en';
  }
  return 'en';
}

export function setLocale(locale: Locale | null | undefined): void {
  current = locale ?? detectLocale();
  document.documentElement.lang = current;
}

export function getLocale(): Locale {
  return current;
}

/** A string of the interface in the current language; `{name}` placeholders are filled from `vars`. */
export function t(key: Key, vars: Record<string, string | number> = {}): string {
  const text = catalogues[current][key] ?? en[key];
  return text.replace(/\{(\w+)\}/g, (whole, name: string) => (name in vars ? String(vars[name]) : whole));
}

export function fmtNumber(n: number | null | undefined, digits = 0): string {
  return n === null || n === undefined || Number.isNaN(n) ? '–' : n.toLocaleString(current, { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

export function fmtPercent(n: number | null | undefined, digits = 1): string {
  return n === null || n === undefined ? '–' : `${fmtNumber(n, digits)} %`;
}

export function fmtDate(value: string | Date | null | undefined, withTime = true): string {
  if (!value) return '–';
  const d = new Date(value);
  return d.toLocaleString(current, withTime ? { dateStyle: 'medium', timeStyle: 'short' } : { dateStyle: 'medium' });
}

export function fmtDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '–';
  if (seconds < 60) return t('duration.seconds', { n: Math.round(seconds) });
  if (seconds < 3600) return t('duration.minutes', { n: Math.round(seconds / 60) });
  return t('duration.hours', { n: fmtNumber(seconds / 3600, 1) });
}
