import type { SubscriberInput } from '../db/subscribers';

/** A small seeded generator (mulberry32), so the demo list is the same on every machine. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// [display name, ascii local part]
const PEOPLE: [string, string][] = [
  ['王伟', 'wang.wei'], ['李娜', 'li.na'], ['张敏', 'zhang.min'], ['刘洋', 'liu.yang'], ['陈静', 'chen.jing'],
  ['杨帆', 'yang.fan'], ['赵磊', 'zhao.lei'], ['黄丽', 'huang.li'], ['周杰', 'zhou.jie'], ['吴婷', 'wu.ting'],
  ['José Müller', 'jose.muller'], ['Zoë Dubois', 'zoe.dubois'], ['Ángel Núñez', 'angel.nunez'], ['François Lefèvre', 'francois.lefevre'],
  ['Søren Kierkegård', 'soren.k'], ['Małgorzata Wójcik', 'malgorzata.w'], ['Çağla Öztürk', 'cagla.ozturk'], ['Björn Ångström', 'bjorn.a'],
  ['Alex 🚀', 'alex'], ['Mia ✨', 'mia'], ['Sam 🎉 Lee', 'sam.lee'], ['小明 😀', 'xiaoming'],
  ['Ada Lovelace', 'ada'], ['Grace Hopper', 'grace'], ['', 'anonymous'],
];
const DOMAINS = ['example.com', 'example.org', 'example.net'];

/**
 * The demo list's subscribers: Chinese names, accented names and names with emoji; every fifth address is a
 * plus-address and every seventh is written in mixed case. Addresses are unique by construction.
 */
export function demoSubscribers(count: number, seed = 32): SubscriberInput[] {
  const random = seeded(seed);
  const subscribers: SubscriberInput[] = [];
  for (let i = 1; i <= count; i++) {
    const [name, local] = PEOPLE[Math.floor(random() * PEOPLE.length)];
    const domain = DOMAINS[Math.floor(random() * DOMAINS.length)];
    let email = i % 5 === 0 ? `${local}+news${i}@${domain}` : `${local}.${i}@${domain}`;
    if (i % 7 === 0) email = email.replace(/^./, (c) => c.toUpperCase()).replace(/@(.)/, (_m, c: string) => `@${c.toUpperCase()}`).replace(/\.(com|org|net)$/, (m) => m.toUpperCase());
    subscribers.push({ email, name, attributes: { cohort: `demo-${1 + (i % 4)}` } });
  }
  return subscribers;
}
