// How fast `tidings` starts: `--help` and `status <send>` from the build in dist/cli (what `npm install`
// makes) and from the sources through tsx (what a start cost before). Prints the median wall time and the
// median CPU time (user + system) of each, and the load average: on a busy machine the wall time grows,
// the CPU time much less. Needs the database of DATABASE_URL (it is migrated; `status` reports a missing send).
//   npm run bench:startup [-- --runs 9]
import { spawn } from 'node:child_process';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';

const runs = Number(process.argv[process.argv.indexOf('--runs') + 1]) || 7;
const BIN = fileURLToPath(new URL('../bin/tidings.mjs', import.meta.url));
const TSX_ENTRY = fileURLToPath(new URL('../src/cli/main.ts', import.meta.url));

/** One start: wall milliseconds, and the child's CPU milliseconds as /usr/bin/time reports them. */
function once(args) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn('/usr/bin/time', ['-f', '%U %S', process.execPath, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (chunk) => (err += chunk));
    child.on('error', reject);
    child.on('close', () => {
      const wall = Number(process.hrtime.bigint() - started) / 1e6;
      const [user, sys] = err.trim().split('\n').pop().split(' ').map(Number);
      resolve({ wall, cpu: (user + sys) * 1000 });
    });
  });
}

const median = (values) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function measure(label, args) {
  const results = [];
  for (let i = 0; i < runs; i++) results.push(await once(args));
  const wall = median(results.map((r) => r.wall));
  const cpu = median(results.map((r) => r.cpu));
  console.log(`${label.padEnd(34)} wall ${wall.toFixed(0).padStart(5)} ms   cpu ${cpu.toFixed(0).padStart(5)} ms`);
}

// The build must be current, or the bin runs the sources: build first, as `npm install` does.
await once([fileURLToPath(new URL('../scripts/build.mjs', import.meta.url))]);
await once([BIN, 'migrate']);
console.log(`load average ${loadavg().map((n) => n.toFixed(1)).join(' ')}, ${runs} runs each, medians`);
await measure('tidings --help (dist)', [BIN, '--help']);
await measure('tidings status 1 (dist)', [BIN, 'status', '1']);
await measure('tidings --help (tsx, as before)', ['--import', 'tsx', TSX_ENTRY, '--help']);
await measure('tidings status 1 (tsx, as before)', ['--import', 'tsx', TSX_ENTRY, 'status', '1']);
await measure('node itself (node -e 0)', ['-e', '0']);
