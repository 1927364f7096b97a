// The operator page: sends with live progress (refreshed every 2 s) and the statistics of the chosen send,
// with a chart of opens and clicks over time drawn as SVG. Plain browser JavaScript, no build step.
'use strict';
(function () {
  const $ = (id) => document.getElementById(id);
  const esc = (s) => String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
  const num = (n) => Number(n || 0).toLocaleString('en-US');
  let selected = null;

  async function getJson(url) {
    const res = await fetch(url, { credentials: 'same-origin' });
    if (!res.ok) throw new Error(url + ' answered ' + res.status);
    return res.json();
  }

  function done(c) {
    return (c.sent || 0) + (c.failed || 0) + (c.suppressed || 0) + (c.cancelled || 0);
  }

  async function refreshSends() {
    const { sends } = await getJson('/admin/data/sends');
    if (!sends.length) {
      $('sends').innerHTML = '<tr><td colspan="6" class="empty">No sends yet.</td></tr>';
      return;
    }
    $('sends').innerHTML = sends
      .map((s) => {
        const total = Math.max(s.total, Object.values(s.counts).reduce((a, b) => a + b, 0), 1);
        const pct = Math.round((done(s.counts) / total) * 100);
        return `<tr class="send${s.id === selected ? ' selected' : ''}" data-id="${s.id}"><td>${s.id}</td><td>${esc(s.issue)} → ${esc(s.list)}</td>
          <td><span class="status ${esc(s.status)}">${esc(s.status)}</span></td>
          <td><span class="bar"><span style="width:${pct}%"></span></span> ${pct}%</td><td>${num(s.counts.sent)}</td><td>${num(s.counts.failed)}</td></tr>`;
      })
      .join('');
    for (const row of document.querySelectorAll('tr.send')) row.addEventListener('click', () => select(Number(row.dataset.id)));
    if (selected === null) select(sends[0].id);
  }

  function chart(points) {
    if (!points.length) return '<p class="empty">No opens or clicks yet.</p>';
    const w = 560, h = 180, pad = 28;
    const max = Math.max(1, ...points.map((p) => Math.max(p.opens + p.machineOpens, p.clicks)));
    const x = (i) => pad + (points.length === 1 ? (w - 2 * pad) / 2 : (i * (w - 2 * pad)) / (points.length - 1));
    const y = (v) => h - pad - (v / max) * (h - 2 * pad);
    const line = (key, color) => `<polyline fill="none" stroke="${color}" stroke-width="2" points="${points.map((p, i) => x(i) + ',' + y(p[key])).join(' ')}"/>`;
    const first = new Date(points[0].at), last = new Date(points[points.length - 1].at);
    const label = (d) => d.toISOString().slice(5, 16).replace('T', ' ');
    return `<div class="legend"><span><i style="background:#2e6bd1"></i>opens</span><span><i style="background:#b0b7c3"></i>machine opens</span><span><i style="background:#12b76a"></i>clicks</span></div>
      <svg viewBox="0 0 ${w} ${h}" width="100%" role="img" aria-label="opens and clicks over time">
        <line x1="${pad}" y1="${h - pad}" x2="${w - pad}" y2="${h - pad}" stroke="#e4e7ec"/>
        <text x="${pad}" y="${h - 8}">${label(first)}</text><text x="${w - pad}" y="${h - 8}" text-anchor="end">${label(last)}</text>
        <text x="2" y="${pad}">${max}</text>
        ${line('machineOpens', '#b0b7c3')}${line('opens', '#2e6bd1')}${line('clicks', '#12b76a')}
      </svg>`;
  }

  async function select(id) {
    selected = id;
    for (const row of document.querySelectorAll('tr.send')) row.classList.toggle('selected', Number(row.dataset.id) === id);
    const s = await getJson('/admin/data/sends/' + id + '/stats');
    const d = s.deliveries;
    const card = (label, value, note) => `<div class="card"><small>${label}</small><b>${value}</b><small>${note || ''}</small></div>`;
    $('detail').innerHTML = `<h2>Send ${s.send.id}: ${esc(s.send.issue.subject)} → ${esc(s.send.list.slug)}</h2>
      <div class="cards">
        ${card('sent', num(d.sent), 'of ' + num(d.total))}
        ${card('failed', num(d.failed), num(d.suppressed) + ' suppressed')}
        ${card('bounced', num(s.bounced.total), s.rates.bounce + '% · hard ' + num(s.bounced.hard))}
        ${card('complaints', num(s.complaints), s.rates.complaint + '%')}
        ${card('opens', num(s.opens.unique), s.rates.open + '% · ' + num(s.opens.total) + ' total')}
        ${card('machine opens', num(s.opens.machine.unique), num(s.opens.machine.total) + ' total')}
        ${card('clicks', num(s.clicks.unique), s.rates.click + '% · ' + num(s.clicks.total) + ' total')}
        ${card('unsubscribes', num(s.unsubscribes), s.rates.unsubscribe + '%')}
      </div>
      <h2>Opens and clicks per ${esc(s.timeline.bucket)}</h2>${chart(s.timeline.points)}
      <h2 style="margin-top:14px">Clicks per link</h2>
      ${s.clicks.links.length ? '<table><thead><tr><th>clicks</th><th>unique</th><th>link</th></tr></thead><tbody>' + s.clicks.links.map((l) => `<tr><td>${num(l.total)}</td><td>${num(l.unique)}</td><td>${esc(l.url || '#' + l.linkId)}</td></tr>`).join('') + '</tbody></table>' : '<p class="empty">No clicks yet.</p>'}`;
  }

  async function tick() {
    try {
      await refreshSends();
      if (selected !== null) await select(selected);
    } catch (err) {
      console.error(err);
    }
  }
  tick();
  setInterval(tick, 2000);
})();
