import { access, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';

/** Phone and desktop: the two widths a preview is looked at. */
export const PREVIEW_WIDTHS = [375, 700] as const;

export const PUBLIC_DIR = fileURLToPath(new URL('../../public', import.meta.url));

const CHROMIUM_CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome', '/usr/bin/google-chrome-stable'];

export const CHROMIUM_INSTALL_HINT = 'Chromium is not installed, so no screenshots were taken. Install it with `apt-get install -y chromium` (Debian/Ubuntu; add fonts-wqy-microhei for Chinese text) or pass --chromium <path>.';

export interface PreviewMessage {
  slug: string;
  html: string;
  text: string;
  /** The raw message, as built by MessageTemplate. */
  eml: Buffer;
}

export interface PreviewResult {
  files: string[];
  screenshots: { width: number; file: string }[];
  /** Why no screenshots were taken, and how to fix it. */
  skipped?: string;
}

/** The first Chromium executable found, or undefined. */
export async function findChromium(explicit?: string): Promise<string | undefined> {
  for (const candidate of explicit ? [explicit] : CHROMIUM_CANDIDATES) {
    if (await access(candidate).then(() => true, () => false)) return candidate;
  }
  return undefined;
}

/**
 * `tidings preview`: writes <slug>.html, <slug>.txt and <slug>.eml of one personalised message, and PNG
 * screenshots of the HTML at 375 and 700 px in headless Chromium (the system's; nothing is downloaded).
 * Without Chromium the files are still written and `skipped` says how to install it.
 */
export async function writePreview(
  message: PreviewMessage,
  options: { outDir: string; assetBaseUrl: string; chromium?: string; widths?: readonly number[] },
): Promise<PreviewResult> {
  await mkdir(options.outDir, { recursive: true });
  const base = path.join(options.outDir, message.slug);
  const files = [`${base}.html`, `${base}.txt`, `${base}.eml`];
  await writeFile(files[0], message.html);
  await writeFile(files[1], message.text);
  await writeFile(files[2], message.eml);

  const executablePath = await findChromium(options.chromium);
  if (!executablePath) return { files, screenshots: [], skipped: CHROMIUM_INSTALL_HINT };
  const screenshots = await takeScreenshots(message.html, {
    executablePath,
    assetBaseUrl: options.assetBaseUrl,
    widths: options.widths ?? PREVIEW_WIDTHS,
    file: (width) => `${base}-${width}.png`,
  });
  return { files: [...files, ...screenshots.map((s) => s.file)], screenshots };
}

/**
 * Full-page screenshots of an email's HTML. Images under ASSET_BASE_URL are served from public/ and every
 * other request is refused, so a screenshot needs no network and no running server, and never fetches a
 * tracking pixel.
 */
export async function takeScreenshots(
  html: string,
  options: { executablePath: string; assetBaseUrl: string; widths: readonly number[]; file: (width: number) => string; colorScheme?: 'light' | 'dark' },
): Promise<{ width: number; file: string }[]> {
  const { chromium } = await import('playwright-core');
  let browser: Browser | undefined;
  try {
    browser = await chromium.launch({ executablePath: options.executablePath, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
    const shots: { width: number; file: string }[] = [];
    for (const width of options.widths) {
      // colorScheme 'dark' emulates prefers-color-scheme: dark (what Apple Mail and iOS Mail do in dark mode).
      const page = await browser.newPage({ viewport: { width, height: 800 }, deviceScaleFactor: 1, colorScheme: options.colorScheme ?? 'light' });
      await page.route('**/*', async (route) => {
        const local = await localAsset(route.request().url(), options.assetBaseUrl);
        if (local) await route.fulfill({ body: local.body, contentType: local.type });
        else await route.abort('blockedbyclient');
      });
      await page.setContent(html, { waitUntil: 'load' });
      const file = options.file(width);
      await page.screenshot({ path: file, fullPage: true });
      await page.close();
      shots.push({ width, file });
    }
    return shots;
  } finally {
    await browser?.close();
  }
}

const TYPES: Record<string, string> = { '.png': 'image/png', '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.gif': 'image/gif', '.svg': 'image/svg+xml', '.webp': 'image/webp' };

async function localAsset(url: string, assetBaseUrl: string): Promise<{ body: Buffer; type: string } | undefined> {
  if (!url.startsWith(assetBaseUrl)) return undefined;
  const relative = decodeURIComponent(new URL(url).pathname.slice(new URL(assetBaseUrl).pathname.length));
  const file = path.resolve(PUBLIC_DIR, relative);
  if (!file.startsWith(PUBLIC_DIR + path.sep)) return undefined;
  const type = TYPES[path.extname(file).toLowerCase()];
  if (!type) return undefined;
  const body = await readFile(file).catch(() => undefined);
  return body ? { body, type } : undefined;
}
