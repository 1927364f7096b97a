import { formatFindings, type Finding } from '../render/preflight';

/**
 * Preflight's warnings before a send, in words on stderr (stdout stays the command's result, also with
 * --json). Its own module, so that commands which never send do not load the preflight rules at start.
 */
export function printWarnings(findings: readonly Finding[]): void {
  for (const line of formatFindings({ errors: [], warnings: [...findings], htmlBytes: 0 })) process.stderr.write(`${line}\n`);
}
