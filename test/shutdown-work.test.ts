import { describe, expect, it } from 'vitest';
import { createList } from '../src/db/lists';
import { Links } from '../src/security/links';
import { TokenCodec } from '../src/security/tokens';
import { parse, serveProcess, stackPerTest, startStack, stopProcess, TEST_SECRET } from './helpers';
import { seedSend } from './ops-seed';

// Issue 10 point 5: work answered "accepted" is done before a SIGTERMed `tidings serve` exits: subscriptions
// (handled after their 202) with their confirmation emails, and opens and clicks waiting in the event buffer.

const SUBSCRIPTIONS = 60;
const OPENS = 25;
const CLICKS = 15;

describe('graceful shutdown of tidings serve', () => {
  const run = stackPerTest();

  it('stores every accepted subscription, sends its confirmation email and writes every open and click when SIGTERMed right after the answers', async () => {
    // A slow SMTP server: the confirmation emails are still going out when the signal arrives.
    const stack = (run.stack = await startStack({ smtp: { latencyMs: 150 } }));
    const { pool } = stack.services;
    const careful = await createList(pool, { slug: 'careful', name: 'Careful', doubleOptIn: true });
    const open = await createList(pool, { slug: 'open', name: 'Open' });
    const { deliveryIds } = await seedSend(pool, Array.from({ length: OPENS }, (_, i) => ({ email: `reader${i}@example.com` })));
    const deliveries = [...deliveryIds.values()];
    await pool.query(
      `INSERT INTO issue_links (issue_id, link_id, url) SELECT s.issue_id, 1, 'https://example.org/article' FROM deliveries d JOIN sends s ON s.id = d.send_id WHERE d.id = $1`,
      [deliveries[0]],
    );

    // TRUST_PROXY: each request comes "from" its own address, as a form on a busy site would (20 a minute per address).
    const env = { TRUST_PROXY: 'loopback' };
    let serve = await serveProcess(stack, env);
    run.children.push(serve);
    const links = new Links(`http://127.0.0.1:${serve.port}`, new TokenCodec(TEST_SECRET));
    const subscribe = (email: string, list: string, i: number) =>
      fetch(serve.url('/subscribe'), {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json', 'x-forwarded-for': `198.51.100.${i % 250}` },
        body: JSON.stringify({ email, name: `Reader ${i}`, list }),
      });
    const doubles = Array.from({ length: SUBSCRIPTIONS }, (_, i) => `new${i}@example.com`);
    const singles = ['single1@example.com', 'single2@example.com'];
    const answers = await Promise.all([
      ...doubles.map((email, i) => subscribe(email, 'careful', i)),
      ...singles.map((email, i) => subscribe(email, 'open', 200 + i)),
      ...deliveries.map((id) => fetch(links.openPixel(id), { headers: { 'user-agent': 'Mozilla/5.0 (Macintosh) AppleWebKit/605.1.15' } })),
      ...deliveries.slice(0, CLICKS).map((id) => fetch(`${links.clickBase(id)}/1`, { redirect: 'manual', headers: { 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0' } })),
    ]);
    expect(answers.map((a) => a.status)).toEqual([
      ...Array(SUBSCRIPTIONS + singles.length).fill(202),
      ...Array(OPENS).fill(200),
      ...Array(CLICKS).fill(302),
    ]);
    const sentAtSignal = stack.smtp.messages.length;
    const first = serve;
    expect(await stopProcess(first)).toBe(0);
    // Not a test of a fast machine: most of the emails were still to be sent when the signal came.
    expect(sentAtSignal).toBeLessThan(SUBSCRIPTIONS);

    // A restarted server finds everything in place: nothing to recover, nothing sent twice.
    serve = await serveProcess(stack, env, first.port);
    run.children.push(serve);
    const { rows: subscriptions } = await pool.query<{ email: string; list_id: number; status: string }>(
      `SELECT s.email, sub.list_id, sub.status FROM subscriptions sub JOIN subscribers s ON s.id = sub.subscriber_id WHERE sub.list_id = ANY($1) ORDER BY s.email`,
      [[careful.id, open.id]],
    );
    expect(subscriptions.filter((r) => r.list_id === careful.id).map((r) => [r.email, r.status])).toEqual(doubles.sort().map((email) => [email, 'unconfirmed']));
    expect(subscriptions.filter((r) => r.list_id === open.id).map((r) => [r.email, r.status])).toEqual(singles.map((email) => [email, 'confirmed']));
    const confirmations = stack.smtp.messages.map((m) => m.to[0]);
    expect(confirmations.sort()).toEqual(doubles.sort());

    const { rows: events } = await pool.query<{ type: string; n: number }>(`SELECT type, count(*)::int AS n FROM events WHERE type IN ('open', 'click') GROUP BY type ORDER BY type`);
    expect(events).toEqual([
      { type: 'click', n: CLICKS },
      { type: 'open', n: OPENS },
    ]);

    // The emails sent during shutdown work: a link from one confirms on the restarted server.
    const mail = await parse(stack.smtp.messages.find((m) => m.to[0] === 'new7@example.com')!.raw);
    const link = /(http:\/\/127\.0\.0\.1:\d+\/confirm\/[A-Za-z0-9_-]+)/.exec(String(mail.text))![1];
    expect((await fetch(link, { method: 'POST' })).status).toBe(200);
    const { rows } = await pool.query<{ status: string }>(
      `SELECT sub.status FROM subscriptions sub JOIN subscribers s ON s.id = sub.subscriber_id WHERE s.email = 'new7@example.com' AND sub.list_id = $1`,
      [careful.id],
    );
    expect(rows[0].status).toBe('confirmed');
    expect(await stopProcess(serve)).toBe(0);
    const failures = first.output().split('\n').filter((line) => /subscribe\.failed|background\.failed|events\.lost/.test(line));
    expect(failures.map((line) => (JSON.parse(line) as { msg: string }).msg)).toEqual([]);
  }, 180_000);
});
