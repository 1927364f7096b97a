// The `tidings` command's entry: bin/tidings.mjs runs this (from dist/cli/ or through tsx); the commands are
// in program.ts.
import { program } from './program';
import { reportError } from './report-error';

try {
  await program.parseAsync(process.argv);
} catch (err) {
  // Exit now: a command that failed half-way may still hold connections open.
  process.exit(reportError(err, process.argv.includes('--json')));
}
