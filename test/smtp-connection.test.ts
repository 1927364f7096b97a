import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkNodemailerInternals } from '../src/mail/smtp-connection';

// src/mail/smtp-connection.ts subclasses nodemailer's SMTPConnection and reads its private fields. These
// tests fail, saying what moved, when an upgrade changes any of that.

const root = path.resolve(import.meta.dirname, '..');

function sourceFiles(dir: string): string[] {
  return readdirSync(path.join(root, dir), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : [],
  );
}

describe("nodemailer's internals", () => {
  it('are all in place in the installed version', () => {
    expect(checkNodemailerInternals()).toEqual([]);
  });

  it('are used in one file only, and the version is pinned exactly', () => {
    const users = [...sourceFiles('src'), ...sourceFiles('workers')].filter((f) => {
      const text = readFileSync(path.join(root, f), 'utf8');
      return /from 'nodemailer\/lib\//.test(text) || /\._(socket|supportedExtensions|destroyed|responseActions|actionSMTPStream|createSendStream)\b/.test(text);
    });
    expect(users).toEqual(['src/mail/smtp-connection.ts']);
    const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    const installed = JSON.parse(readFileSync(path.join(root, 'node_modules/nodemailer/package.json'), 'utf8')) as { version: string };
    expect(pkg.dependencies.nodemailer, 'package.json must pin nodemailer exactly (no ^ or ~)').toMatch(/^\d+\.\d+\.\d+$/);
    expect(installed.version).toBe(pkg.dependencies.nodemailer);
  });
});
