import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

// `npm test` runs `npm run check:imports` (dependency-cruiser with .dependency-cruiser.cjs) over src/ and
// workers/. This shows that the same check refuses the cycles it is there for: type-only ones and ones
// through a dynamic import.

const root = path.resolve(import.meta.dirname, '..');
const run = promisify(execFile);

async function checkImports(...dirs: string[]): Promise<{ code: number; output: string }> {
  const bin = path.join(root, 'node_modules/.bin/depcruise');
  try {
    const { stdout, stderr } = await run(bin, [...dirs, '--config', '.dependency-cruiser.cjs', '--output-type', 'err'], { cwd: root });
    return { code: 0, output: stdout + stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, output: e.stdout + e.stderr };
  }
}

describe('the import check', () => {
  it('fails on a type-only cycle and on a cycle through a dynamic import, naming both', async () => {
    const { code, output } = await checkImports('test/fixtures/import-cycle');
    expect(code).not.toBe(0);
    expect(output).toMatch(/no-circular: test\/fixtures\/import-cycle\/settings\.ts →\s+test\/fixtures\/import-cycle\/signer\.ts/);
    expect(output).toMatch(/no-circular: test\/fixtures\/import-cycle\/(lazy|wiring)\.ts/);
  });

  it('is part of npm test', async () => {
    const { scripts } = (await import('../package.json', { with: { type: 'json' } })).default as { scripts: Record<string, string> };
    expect(scripts['check:imports']).toMatch(/depcruise src workers/);
    expect(scripts.test).toContain('npm run check:imports');
  });
});
