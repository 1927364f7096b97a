import type { SendStats } from './send-stats';

const n = (value: number) => value.toLocaleString('en-US');

/** The `tidings stats` table: aligned label/value lines, then clicks per link and the timeline. */
export function formatSendStats(stats: SendStats): string[] {
  const d = stats.deliveries;
  const rows: Array<[string, string]> = [
    ['send', `${stats.send.id} · ${stats.send.issue.slug} → ${stats.send.list.slug} (${stats.send.status})`],
    ['total', n(d.total)],
    ['sent', n(d.sent)],
    ['failed', n(d.failed)],
    ['suppressed', n(d.suppressed)],
    ['pending', n(d.queued + d.sending + d.retrying)],
    ['cancelled', n(d.cancelled)],
    ['bounced', `${n(stats.bounced.total)} (hard ${n(stats.bounced.hard)}, soft ${n(stats.bounced.soft)}, policy ${n(stats.bounced.policy)}) · ${stats.rates.bounce}%`],
    ['complaints', `${n(stats.complaints)} · ${stats.rates.complaint}%`],
    ['unsubscribes', `${n(stats.unsubscribes)} · ${stats.rates.unsubscribe}%`],
    ['opens', `${n(stats.opens.unique)} unique, ${n(stats.opens.total)} total · ${stats.rates.open}%`],
    ['machine opens', `${n(stats.opens.machine.unique)} unique, ${n(stats.opens.machine.total)} total`],
    ['clicks', `${n(stats.clicks.unique)} unique, ${n(stats.clicks.total)} total · ${stats.rates.click}%`],
    ['scanner clicks', n(stats.clicks.machine.total)],
  ];
  const width = Math.max(...rows.map(([label]) => label.length));
  const lines = rows.map(([label, value]) => `${label.padEnd(width)}  ${value}`);
  if (stats.clicks.links.length) {
    lines.push('', 'clicks per link');
    for (const link of stats.clicks.links) {
      lines.push(`  ${String(link.total).padStart(7)}  ${String(link.unique).padStart(7)} unique  #${link.linkId} ${link.url ?? '(unknown link)'}`);
    }
  }
  if (stats.timeline.points.length) {
    lines.push('', `opens and clicks per ${stats.timeline.bucket}`);
    for (const p of stats.timeline.points) {
      lines.push(`  ${p.at.toISOString().slice(0, 16).replace('T', ' ')}  opens ${String(p.opens).padStart(6)}  machine ${String(p.machineOpens).padStart(6)}  clicks ${String(p.clicks).padStart(6)}`);
    }
  }
  return lines;
}
