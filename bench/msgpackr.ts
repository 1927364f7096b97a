/**
 * bench/msgpackr — does msgpackr's native extension (msgpackr-extract, used through BullMQ) pay?
 *
 *   npm run bench:msgpackr -- [jobs]        # runs each way three times, interleaved
 *
 * npm 11 runs no dependency install scripts by default, but msgpackr-extract needs none on the common
 * platforms: its prebuilt binary arrives as an optional dependency (@msgpackr-extract/msgpackr-extract-
 * linux-x64 and the like), and msgpackr loads it. Its install script only builds from source where no
 * prebuilt exists. This measures one process's CPU time per job for queueing deliver-shaped jobs
 * (addBulk) and working them off with an empty BullMQ worker, with the extension and with it switched off
 * (MSGPACKR_NATIVE_ACCELERATION_DISABLED=true), in the same run.
 */
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';

// msgpackr as BullMQ resolves it (it is BullMQ's dependency, not ours).
const require = createRequire(import.meta.url);
const { isNativeAccelerationEnabled } = createRequire(require.resolve('bullmq'))('msgpackr') as { isNativeAccelerationEnabled: boolean };

const jobs = Number(process.argv[2] ?? 20000);

async function probe(): Promise<void> {
  const prefix = `tidings-bench-msgpackr-${process.pid}`;
  const connection = new Redis('redis://127.0.0.1:6379', { maxRetriesPerRequest: null });
  const queue = new Queue('deliver', { connection, prefix });
  const start = process.cpuUsage();
  for (let i = 0; i < jobs; i += 5000) {
    await queue.addBulk(Array.from({ length: Math.min(5000, jobs - i) }, (_, k) => ({ name: 'd', data: { deliveryId: i + k }, opts: { jobId: `d${i + k}` } })));
  }
  const added = process.cpuUsage(start);
  const workerConnection = new Redis('redis://127.0.0.1:6379', { maxRetriesPerRequest: null });
  await new Promise<void>((resolve) => {
    let done = 0;
    const worker = new Worker('deliver', async () => {}, { connection: workerConnection, prefix, concurrency: 100, removeOnComplete: { count: 0 } });
    worker.on('completed', () => {
      if (++done === jobs) void worker.close().then(() => resolve());
    });
  });
  const total = process.cpuUsage(start);
  await queue.obliterate({ force: true });
  const us = (usage: NodeJS.CpuUsage) => Math.round(((usage.user + usage.system) / jobs) * 10) / 10;
  process.stdout.write(JSON.stringify({ native: isNativeAccelerationEnabled, addUsPerJob: us(added), totalUsPerJob: us(total) }) + '\n');
  process.exit(0);
}

if (process.env.MSGPACKR_PROBE) {
  await probe();
} else {
  const self = fileURLToPath(import.meta.url);
  const runs: Record<string, { add: number[]; total: number[] }> = { native: { add: [], total: [] }, plain: { add: [], total: [] } };
  for (let round = 0; round < 3; round++) {
    for (const disabled of [false, true]) {
      const env = { ...process.env, MSGPACKR_PROBE: '1', ...(disabled ? { MSGPACKR_NATIVE_ACCELERATION_DISABLED: 'true' } : {}) };
      const out = JSON.parse(execFileSync(process.execPath, ['--import', 'tsx', self, String(jobs)], { env, encoding: 'utf8' }).trim().split('\n').pop()!);
      const run = runs[out.native ? 'native' : 'plain'];
      run.add.push(out.addUsPerJob);
      run.total.push(out.totalUsPerJob);
    }
  }
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
  console.log(`msgpackr with BullMQ, ${jobs} jobs, CPU µs per job (median of 3):`);
  for (const [name, run] of Object.entries(runs)) console.log(`  ${name}: addBulk ${median(run.add)}, add + work off ${median(run.total)}`);
}
