import { execFileSync } from 'node:child_process';
import type { PoolClient } from '../src/db/pool';

/**
 * What the history benches (stats, partition-migration) seed first: the seeding backend reniced (the machine
 * is shared; where renice is not allowed it runs at normal priority), list 1 'big' and issue 1 'big'.
 */
export async function startBigHistory(client: PoolClient): Promise<void> {
  const pid = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0].pid;
  try {
    execFileSync('renice', ['-n', '10', '-p', String(pid)], { stdio: 'ignore' });
  } catch {
    // Normal priority then.
  }
  await client.query(`INSERT INTO lists (slug, name) VALUES ('big', 'Big')`);
  await client.query(`INSERT INTO issues (slug, subject, template, source, source_hash, html, text) VALUES ('big', 'Big', 'default', 'x', 'x', 'x', 'x')`);
}
