import { en, type Catalogue } from './en';
import { DEFAULT_LANGUAGE, isLanguage, LANGUAGES, type Language } from './languages';
import { zhCN } from './zh-CN';

export type { Catalogue } from './en';

/** Every language's catalogue, by tag (languages.ts lists the tags). */
export const CATALOGUES: Readonly<Record<Language, Catalogue>> = { en, 'zh-CN': zhCN };

/** The catalogue of a list's language; an unknown tag (a row from a newer version) reads as the default. */
export function catalogueFor(language: string | null | undefined): Catalogue {
  return CATALOGUES[language && isLanguage(language) ? language : DEFAULT_LANGUAGE];
}

/**
 * The language for a page that belongs to no list (a link that does not decode, an unknown address): the
 * first of the browser's Accept-Language ranges that has a catalogue (`zh`, `zh-Hans`, `zh-CN` all read as
 * zh-CN), else the default. Quality values are honoured; `*` means no preference.
 */
export function negotiateLanguage(acceptLanguage: string | undefined): Language {
  if (!acceptLanguage) return DEFAULT_LANGUAGE;
  const ranges = acceptLanguage
    .split(',')
    .map((part, index) => {
      const [tag, ...params] = part.trim().split(';');
      const q = Number(/^\s*q=([\d.]+)\s*$/.exec(params.join(';'))?.[1] ?? '1');
      return { tag: tag.trim().toLowerCase(), q: Number.isFinite(q) ? q : 0, index };
    })
    .filter((r) => r.tag && r.tag !== '*' && r.q > 0)
    .sort((a, b) => b.q - a.q || a.index - b.index);
  for (const { tag } of ranges) {
    const exact = LANGUAGES.find((l) => l.toLowerCase() === tag);
    if (exact) return exact;
    const primary = tag.split('-')[0];
    // Traditional Chinese readers are not served Simplified by guess.
    if (primary === 'zh' && /-(hant|tw|hk|mo)\b/.test(tag)) continue;
    const byPrimary = LANGUAGES.find((l) => l.toLowerCase().split('-')[0] === primary);
    if (byPrimary) return byPrimary;
  }
  return DEFAULT_LANGUAGE;
}
