import os from 'node:os';
import pg from 'pg';

export type Pool = pg.Pool;
export type PoolClient = pg.PoolClient;

// bigint ids (int8) come back as JavaScript numbers: ids stay far below 2^53.
pg.types.setTypeParser(20, (value) => Number(value));

/** The URL with a user name filled in: without one, libpq-style defaults depend on $USER, which is often unset. */
export function withDefaultUser(databaseUrl: string): string {
  const url = new URL(databaseUrl);
  if (!url.username) url.username = process.env.PGUSER || os.userInfo().username;
  return url.toString();
}

/**
 * Every Tidings connection runs with PostgreSQL's JIT off. Tidings' statements are short and many (a claim or
 * a result batch per 20 ms per worker); JIT compiles a statement whose estimated cost passes jit_above_cost,
 * and in a partition of a million deliveries the claim's estimate did (71,066 rows for 200 ids), so each claim
 * spent 15-20 ms compiling 42 functions to run in 2: PostgreSQL's CPU per message went from 0.07 ms at
 * 300,000 subscribers to 0.24 ms at 1,000,000.
 */
const SESSION_OPTIONS = '-c jit=off';

export function createPool(databaseUrl: string, max = 10): Pool {
  const pool = new pg.Pool({ connectionString: withDefaultUser(databaseUrl), max, options: SESSION_OPTIONS });
  // An idle client losing its connection must not crash the process; the next query reconnects.
  pool.on('error', () => {});
  return pool;
}

/** Creates the database named in the URL when it does not exist yet (safe when two processes race). */
export async function ensureDatabase(databaseUrl: string): Promise<boolean> {
  const url = new URL(withDefaultUser(databaseUrl));
  const name = decodeURIComponent(url.pathname.slice(1));
  if (!name) throw new Error('DATABASE_URL names no database');
  url.pathname = '/postgres';
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (found.rowCount) return false;
    try {
      await client.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
      return true;
    } catch (err) {
      if ((err as { code?: string }).code === '42P04' || (err as { code?: string }).code === '23505') return false;
      throw err;
    }
  } finally {
    await client.end();
  }
}

export async function dropDatabase(databaseUrl: string): Promise<void> {
  const url = new URL(withDefaultUser(databaseUrl));
  const name = decodeURIComponent(url.pathname.slice(1));
  url.pathname = '/postgres';
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`);
  } finally {
    await client.end();
  }
}

export async function inTransaction<T>(pool: Pool, work: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}

/** One trivial query: does PostgreSQL answer (the health check)? */
export async function ping(pool: Pool): Promise<void> {
  await pool.query('SELECT 1');
}

/** This transaction's COMMIT does not wait for the WAL flush (a crash may lose it, never corrupt anything). */
export async function skipCommitFlush(client: PoolClient): Promise<void> {
  await client.query('SET LOCAL synchronous_commit = off');
}
