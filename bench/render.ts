// npm run bench:render — what rendering costs: the compile once per issue, the fill once per subscriber,
// and proof that the fill gives exactly what a full render with that subscriber's values gives.
// Figures depend on the machine and on what else runs on it; this is a bench, not a timed test.
import { simpleParser } from 'mailparser';
import { loadContentFile } from '../src/render/content';
import { renderIssue } from '../src/render/render-issue';
import { Links } from '../src/security/links';
import { loadConfig } from '../src/config';
import { buildSendTemplate } from '../src/send/send-template';
import { TokenCodec } from '../src/security/tokens';

const SAMPLE = new URL('../content/ml-utd-32.yaml', import.meta.url).pathname;
const ASSETS = 'https://assets.example.com/';
const COMPILES = 50;
const MESSAGES = 100_000;

function median(values: Float64Array | number[]): number {
  const sorted = Float64Array.from(values).sort();
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
function percentile(values: Float64Array, p: number): number {
  const sorted = Float64Array.from(values).sort();
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
}

const { content } = await loadContentFile(SAMPLE);
const links = new Links('https://news.example.com', new TokenCodec('bench-secret-key-0123456789-abcdefghijklmnop'));
const list = { id: 1, name: 'ML UTD 周刊', slug: 'weekly' };

// 1. The compile, once per issue: Handlebars (strict) → MJML (strict) → minified HTML → text.
await renderIssue(content, { assetBaseUrl: ASSETS }); // warm-up: module loading and JIT
const compileMs: number[] = [];
let compiled = await renderIssue(content, { assetBaseUrl: ASSETS });
for (let i = 0; i < COMPILES; i++) {
  const start = performance.now();
  compiled = await renderIssue(content, { assetBaseUrl: ASSETS });
  compileMs.push(performance.now() - start);
}

// 2. The fill, once per subscriber: MessageTemplate.render (slot values joined and base64-encoded).
// Built exactly as the workers build it (src/send/send-template.ts).
const { template } = buildSendTemplate({
  config: loadConfig({ MAIL_FROM: '数据生活 LifeWithData <news@lifewithdata.test>', SECRET_KEY: 'x'.repeat(40) }),
  links,
  dkim: undefined,
  sendId: 1,
  issue: { id: 1, slug: content.slug, subject: compiled.subject, text: compiled.text },
  list,
  html: compiled.html,
});
const recipient = (id: number) => ({
  deliveryId: id,
  email: `reader${id}@example.com`,
  name: id % 2 ? `读者 ${id}` : `Reader ${id}`,
  unsubscribeUrl: links.unsubscribe(id, list.id, id),
  openPixelUrl: links.openPixel(id),
  clickBase: links.clickBase(id),
});
// Recipients are built before timing: token encryption is the link layer's cost, not rendering's.
const recipients = Array.from({ length: MESSAGES }, (_, i) => recipient(i + 1));
for (let i = 0; i < 2_000; i++) template.render(recipients[i]); // warm-up
const fillNs = new Float64Array(MESSAGES);
let bytes = 0;
for (let i = 0; i < MESSAGES; i++) {
  const start = process.hrtime.bigint();
  const raw = template.render(recipients[i]);
  fillNs[i] = Number(process.hrtime.bigint() - start);
  bytes += raw.length;
}

// 3. The fill equals a full render (Handlebars + MJML with this subscriber's real values) for the same subscriber.
const checked = [recipient(424242), { ...recipient(7), name: '<script>alert(1)</script>' }, { ...recipient(8), name: '"><img src=x>' }];
const mismatches: string[] = [];
for (const r of checked) {
  const parsed = await simpleParser(template.render(r));
  const full = await renderIssue(content, {
    assetBaseUrl: ASSETS,
    slotValues: { listName: list.name, webVersionUrl: links.webVersion(content.slug), name: r.name, unsubscribeUrl: r.unsubscribeUrl, openPixelUrl: r.openPixelUrl },
  });
  if (parsed.html !== full.html) mismatches.push(`${r.name}: HTML differs`);
  if (parsed.text !== full.text) mismatches.push(`${r.name}: text differs`);
}

const htmlBytes = Buffer.byteLength(compiled.html);
const fillMedianUs = median(fillNs) / 1000;
console.log(`sample issue ${content.slug}: HTML ${(htmlBytes / 1024).toFixed(1)} KB (Gmail clips above 102 KB), text ${(Buffer.byteLength(compiled.text) / 1024).toFixed(1)} KB, message ${(bytes / MESSAGES / 1024).toFixed(1)} KB`);
console.log(`compile per issue (Handlebars → MJML → minify → text), median of ${COMPILES}: ${median(compileMs).toFixed(1)} ms (min ${Math.min(...compileMs).toFixed(1)} ms)`);
console.log(`personalisation per subscriber (MessageTemplate.render), median of ${MESSAGES.toLocaleString('en')}: ${fillMedianUs.toFixed(1)} µs (p99 ${(percentile(fillNs, 0.99) / 1000).toFixed(1)} µs), about ${Math.round(1e6 / fillMedianUs).toLocaleString('en')} messages/s on one core`);
console.log(`filled-in message equals a full render for the same subscriber (${checked.length} subscribers, HTML and text): ${mismatches.length ? `NO — ${mismatches.join('; ')}` : 'yes'}`);
if (mismatches.length) process.exitCode = 1;
