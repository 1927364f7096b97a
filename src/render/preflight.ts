import { Parser } from 'htmlparser2';
import type { IssueContent } from './content';
import { addressFindings, type AddressInput } from './preflight-addresses';
import { fillMarkers, marker, type Slot } from './slots';

/**
 * Preflight: the checks an issue must pass before anyone is emailed. Errors block a send; warnings are
 * printed. Every finding says where the problem is (the content file's line or field when known) and how to
 * fix it. This module is pure: it looks at a compiled issue (HTML and text with slot markers) and, when
 * known, its content; preflight-file.ts and src/issues/preflight-gate.ts feed it a file or a stored issue.
 */
export type PreflightRule =
  | 'content'
  | 'unknown-field'
  | 'image-missing'
  | 'template-variable'
  | 'template'
  | 'mjml'
  | 'html-size'
  | 'image-alt'
  | 'link-empty'
  | 'link-scheme'
  | 'url-malformed'
  | 'url-duplicate'
  | 'unsubscribe-missing'
  | 'postal-address-missing'
  | 'subject-empty'
  | 'subject-too-long'
  | 'subject-control-characters'
  | 'url-unreachable'
  | 'base-changed';

export interface Finding {
  rule: PreflightRule;
  severity: 'error' | 'warning';
  /** What is wrong and how to fix it. */
  message: string;
  /** `file:line`, a content field, or a part of the rendered message. */
  where: string;
}

export interface PreflightReport {
  errors: Finding[];
  warnings: Finding[];
  /** Size of the HTML part of a typical personalised message. */
  htmlBytes: number;
}

export interface PreflightLimits {
  /** Gmail clips an HTML part above 102 KB behind "View entire message", hiding the footer. */
  htmlWarnBytes: number;
  /** Far above the clipping limit: most of the issue, and the unsubscribe link, would be hidden. */
  htmlErrorBytes: number;
  subjectMaxChars: number;
}

export const DEFAULT_LIMITS: PreflightLimits = Object.freeze({
  htmlWarnBytes: 102 * 1024,
  htmlErrorBytes: 150 * 1024,
  subjectMaxChars: 150,
});

export interface PreflightInput {
  subject: string;
  preheader: string;
  /** Compiled HTML and text, with slot markers. */
  html: string;
  text: string;
  /** The issue's content, when known: the postal address and the per-article URL checks need it. */
  content?: IssueContent;
  /** The content file's text and name, to point findings at a line. */
  source?: string;
  file?: string;
  /**
   * Check that readers can reach the issue's images and links (src/render/preflight-addresses.ts): given by
   * the send gate and `issue check`, which know the configuration; left out, the addresses are not judged.
   */
  addresses?: Omit<AddressInput, 'images' | 'links' | 'locate'>;
}

/** Slot values of typical length, to measure the size a subscriber actually receives. */
const TYPICAL_VALUES: Partial<Record<Slot, string>> & Record<'name' | 'unsubscribeUrl', string> = {
  name: 'A typical subscriber name',
  listName: 'A typical list name',
  webVersionUrl: 'https://newsletter.example.com/archive/a-typical-issue-slug',
  unsubscribeUrl: `https://newsletter.example.com/unsubscribe/${'x'.repeat(64)}`,
  openPixelUrl: `https://newsletter.example.com/o/${'x'.repeat(43)}`,
  clickBase: `https://newsletter.example.com/c/${'x'.repeat(43)}`,
} as Partial<Record<Slot, string>> & Record<'name' | 'unsubscribeUrl', string>;

/** Links the templates may point at a slot; the open pixel is an image, never a link. */
const LINK_SLOTS = new Set([marker('unsubscribeUrl'), marker('webVersionUrl')]);
/** A tracked link: `<click base>/<link id>`, filled per subscriber. */
const CLICK_PREFIX = '%%tidings:clickBase%%';

export function preflight(input: PreflightInput, limits: PreflightLimits = DEFAULT_LIMITS): PreflightReport {
  const findings: Finding[] = [];
  const add = (rule: PreflightRule, severity: Finding['severity'], message: string, where: string) => findings.push({ rule, severity, message, where });
  const locate = locator(input.source, input.file);

  checkSubject(input.subject, limits, add, locate);

  const htmlBytes = Buffer.byteLength(fillMarkers(input.html, TYPICAL_VALUES));
  const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
  if (htmlBytes > limits.htmlErrorBytes) {
    add('html-size', 'error', `the HTML part is ${kb(htmlBytes)}, far above Gmail's 102 KB clipping limit (error above ${kb(limits.htmlErrorBytes)}): readers would see a fraction of the issue and no unsubscribe link. Split the issue or shorten the quotes.`, 'html');
  } else if (htmlBytes > limits.htmlWarnBytes) {
    add('html-size', 'warning', `the HTML part is ${kb(htmlBytes)}, above Gmail's 102 KB clipping limit: Gmail will show "[Message clipped]" and hide the footer. Shorten the issue to stay below it.`, 'html');
  }

  const scan = scanHtml(input.html);
  const templateWhere = input.content ? `footer of template set '${input.content.template}'` : 'template footer';
  for (const img of scan.images) {
    if (img.src === marker('openPixelUrl')) continue;
    if (!img.alt?.trim()) {
      add('image-alt', 'error', `image '${img.src}' has no alt text: clients that block images (Outlook by default) show the alt text instead. Add alt: to the image.`, locate(img.src, 'html <img>'));
    }
    const problem = urlProblem(img.src, ['http:', 'https:']);
    if (problem) add(problem.rule, 'error', `image '${img.src}' ${problem.message}`, locate(img.src, 'html <img>'));
  }
  for (const link of scan.links) {
    const label = link.text.trim().slice(0, 60) || '(no text)';
    if (link.href === undefined || link.href.trim() === '' || link.href.trim() === '#') {
      add('link-empty', 'error', `the link '${label}' has no target: give it an http(s) URL or remove the link.`, locate(label, 'html <a>'));
      continue;
    }
    if (LINK_SLOTS.has(link.href) || link.href.startsWith(CLICK_PREFIX)) continue;
    const problem = urlProblem(link.href, ['http:', 'https:', 'mailto:']);
    if (problem) add(problem.rule, 'error', `the link '${label}' → '${link.href}' ${problem.message}`, locate(link.href, 'html <a>'));
  }

  if (input.addresses) {
    const images = scan.images.map((i) => i.src).filter((src) => src !== marker('openPixelUrl'));
    const links = scan.links.map((l) => l.href?.trim() ?? '').filter((href) => href && !LINK_SLOTS.has(href) && !href.startsWith(CLICK_PREFIX));
    findings.push(...addressFindings({ ...input.addresses, images, links, locate: (url) => locate(url, 'html') }));
  }

  if (!scan.links.some((l) => l.href === marker('unsubscribeUrl')) || !input.text.includes(marker('unsubscribeUrl'))) {
    add('unsubscribe-missing', 'error', `the rendered message has no unsubscribe link (a link to {{links.unsubscribe}} in the HTML and the text). Put it in the template's footer: bulk mail without one is refused by Gmail and Yahoo.`, templateWhere);
  }

  if (input.content) {
    const address = normalise(input.content.postal_address);
    if (!address) {
      add('postal-address-missing', 'error', 'postal_address is empty: bulk mail must carry the sender\'s postal address. Set postal_address: in the content file.', locate('postal_address:', 'postal_address'));
    } else if (!normalise(scan.visibleText).includes(address) || !normalise(input.text).includes(address)) {
      add('postal-address-missing', 'error', `the postal address '${input.content.postal_address}' is not in the rendered footer: the template must show {{issue.postalAddress}} (HTML and text).`, templateWhere);
    }
    for (const dup of duplicateUrls(input.content)) {
      add('url-duplicate', 'warning', dup.message, locate(dup.url, dup.field, true));
    }
  }

  return {
    errors: findings.filter((f) => f.severity === 'error'),
    warnings: findings.filter((f) => f.severity === 'warning'),
    htmlBytes,
  };
}

type Add = (rule: PreflightRule, severity: Finding['severity'], message: string, where: string) => void;
type Locate = (needle: string, fallback: string, last?: boolean) => string;

function checkSubject(subject: string, limits: PreflightLimits, add: Add, locate: Locate): void {
  const where = locate('subject:', 'subject');
  if (!subject.trim()) add('subject-empty', 'error', 'the subject is empty: set subject: in the content file.', where);
  const length = [...subject].length;
  if (length > limits.subjectMaxChars) {
    add('subject-too-long', 'error', `the subject is ${length} characters, more than ${limits.subjectMaxChars}: inboxes cut it off. Shorten it.`, where);
  }
  // eslint-disable-next-line no-control-regex
  const control = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/.exec(subject);
  if (control) {
    const code = `U+${control[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
    add('subject-control-characters', 'error', `the subject contains the control character ${code} at position ${control.index + 1}: remove line breaks and tabs from it.`, where);
  }
}

/** What is wrong with a URL, or undefined when it is a well-formed URL with one of the allowed schemes. */
export function urlProblem(value: string, schemes: string[]): { rule: 'link-scheme' | 'url-malformed'; message: string } | undefined {
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(value.trim())?.[1]?.toLowerCase();
  if (!scheme || !schemes.includes(`${scheme}:`)) {
    return { rule: 'link-scheme', message: `is not ${schemes.map((s) => s.replace(':', '')).join('/')}: use a full URL such as https://example.com/page.` };
  }
  if (/\s/.test(value)) return { rule: 'url-malformed', message: 'contains spaces: encode them as %20 or fix the URL.' };
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return { rule: 'url-malformed', message: 'is not a valid URL.' };
  }
  if (scheme === 'mailto') {
    return /^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(decodeURIComponent(url.pathname)) ? undefined : { rule: 'url-malformed', message: 'is not a valid mail address.' };
  }
  const host = url.hostname;
  const ip = /^\d{1,3}(\.\d{1,3}){3}$/.test(host) || host.startsWith('[');
  const domain = /^(?!-)[a-z0-9-]{1,63}(?<!-)(\.(?!-)[a-z0-9-]{1,63}(?<!-))*\.(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})\.?$/.test(host);
  if (!ip && !domain && host !== 'localhost') return { rule: 'url-malformed', message: `has an invalid host '${host}'.` };
  return undefined;
}

interface HtmlScan {
  links: { href: string | undefined; text: string }[];
  images: { src: string; alt: string | undefined }[];
  visibleText: string;
}

/** The links, images and visible text of compiled HTML (conditional comments for Outlook are skipped). */
function scanHtml(html: string): HtmlScan {
  const scan: HtmlScan = { links: [], images: [], visibleText: '' };
  const open: { href: string | undefined; text: string }[] = [];
  let hidden = 0;
  const parser = new Parser(
    {
      onopentag(name, attrs) {
        if (name === 'a') open.push({ href: attrs.href, text: '' });
        if (name === 'img') {
          scan.images.push({ src: attrs.src ?? '', alt: attrs.alt });
          if (attrs.alt) for (const a of open) a.text += attrs.alt;
        }
        if (name === 'style' || name === 'script' || name === 'title') hidden++;
      },
      ontext(text) {
        if (hidden) return;
        scan.visibleText += text;
        for (const a of open) a.text += text;
      },
      onclosetag(name) {
        if (name === 'a') {
          const link = open.pop();
          if (link) scan.links.push(link);
        }
        if (name === 'style' || name === 'script' || name === 'title') hidden--;
        // Block boundaries become spaces, so words of adjacent cells do not run together.
        scan.visibleText += ' ';
      },
    },
    { decodeEntities: true, lowerCaseTags: true },
  );
  parser.write(html);
  parser.end();
  return scan;
}

/**
 * The same URL twice in one article's links, or in two different articles, is usually a copy-paste
 * mistake (an article pointing at another one's source). Within one article, the caption, read-more link
 * and first resource link pointing at the same source is the usual shape and is not reported.
 */
function duplicateUrls(content: IssueContent): { url: string; field: string; message: string }[] {
  const found: { url: string; field: string; message: string }[] = [];
  const owner = new Map<string, string>();
  content.sections.forEach((section, s) =>
    section.articles.forEach((article, a) => {
      const base = `sections.${s}.articles.${a}`;
      const seen = new Set<string>();
      article.links.forEach((link, l) => {
        if (!link.url) return;
        const key = canonical(link.url);
        if (seen.has(key)) {
          found.push({ url: link.url, field: `${base}.links.${l}.url`, message: `'${link.url}' appears twice in the links of '${article.title}': remove one or fix the URL.` });
        }
        seen.add(key);
      });
      for (const url of [article.read_more, ...article.links.map((l) => l.url)]) {
        if (!url) continue;
        const key = canonical(url);
        const other = owner.get(key);
        if (other !== undefined && other !== base) {
          found.push({ url, field: base, message: `'${url}' is linked from two articles ('${titleAt(content, other)}' and '${article.title}'): check that each points at its own source.` });
        }
        if (other === undefined) owner.set(key, base);
      }
    }),
  );
  return found;
}

function titleAt(content: IssueContent, base: string): string {
  const [, s, , a] = base.split('.');
  return content.sections[Number(s)].articles[Number(a)].title;
}

function canonical(url: string): string {
  return url.trim().replace(/\/+$/, '').replace(/^http:/i, 'https:').toLowerCase();
}

function normalise(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/** Points a finding at the first line of the content file that holds `needle`, or at a fallback place. */
function locator(source: string | undefined, file: string | undefined): Locate {
  const lines = source?.split('\n') ?? [];
  return (needle, fallback, last = false) => {
    if (!source || !needle) return fallback;
    let decoded = needle;
    try {
      decoded = decodeURI(needle);
    } catch {
      // keep the needle as it is
    }
    // Images are resolved against ASSET_BASE_URL: the file holds only their relative path.
    const candidates = [needle, decoded, new URL(needle, 'http://x/').pathname.replace(/^\//, '')].filter((c) => c.length > 3);
    const matches = (line: string) => candidates.some((c) => line.includes(c));
    const index = last ? lines.findLastIndex(matches) : lines.findIndex(matches);
    return index === -1 ? (file ? `${file} (${fallback})` : fallback) : `${file ?? 'content'}:${index + 1}`;
  };
}

/** One line per finding, errors first: what `issue check` and a refused send print. */
export function formatFindings(report: PreflightReport): string[] {
  return [...report.errors, ...report.warnings].map((f) => `${f.severity}: ${f.where}: ${f.message} [${f.rule}]`);
}
