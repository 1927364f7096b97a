/**
 * The languages readers can be addressed in: one catalogue file each in this folder. A translator adds
 * `src/i18n/<tag>.ts` (a copy of en.ts, every string translated) and its tag here and in catalogues.ts.
 */
export const LANGUAGES = ['en', 'zh-CN'] as const;
export type Language = (typeof LANGUAGES)[number];
export const DEFAULT_LANGUAGE: Language = 'en';

export function isLanguage(value: string): value is Language {
  return (LANGUAGES as readonly string[]).includes(value);
}
