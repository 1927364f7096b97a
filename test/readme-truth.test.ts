import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { CONFIG_VARIABLES, configDefaults, loadConfig } from '../src/config';
import { program } from '../src/cli/program';
import { registry } from '../src/metrics';

// The README and docker-compose.yml against the code they describe: the configuration schema, the command
// tree, package.json's benchmarks. Every list here is read from the code, so a new variable, command or bench
// fails this test until it is documented. (Error codes: test/errors.test.ts.) No services needed.
const ROOT = path.resolve(__dirname, '..');
const README = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
const PACKAGE = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
const COMPOSE = readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8');

/** The text of the README section under `## <title>` up to the next `## ` heading (code fences skipped). */
function section(title: string): string {
  const lines = README.split('\n');
  let fenced = false;
  let start = -1;
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].startsWith('```')) fenced = !fenced;
    if (fenced || !/^## /.test(lines[i])) continue;
    if (start >= 0) return lines.slice(start, i).join('\n');
    if (lines[i].slice(3).trim() === title) start = i + 1;
  }
  if (start < 0) throw new Error(`README.md has no section '## ${title}'`);
  return lines.slice(start).join('\n');
}

/** The `## Configuration` table: each row's variables (first cell) with its default cell. */
function configurationRows(): { variables: string[]; defaults: string }[] {
  return section('Configuration')
    .split('\n')
    .filter((line) => line.startsWith('| `'))
    .map((line) => {
      const cells = line.split(' | ');
      return { variables: [...cells[0].matchAll(/`([A-Z][A-Z0-9_]*)`/g)].map((m) => m[1]), defaults: cells[1] };
    });
}

/** Every runnable command path of the program: `migrate`, `list create`, `bounces messages`, … */
function commandPaths(command: Command, prefix: string[] = []): string[] {
  return command.commands.flatMap((sub) => {
    const names = [...prefix, sub.name()];
    return sub.commands.length ? commandPaths(sub, names) : [names.join(' ')];
  });
}

describe('README: configuration', () => {
  const rows = configurationRows();
  const documented = rows.flatMap((row) => row.variables);

  it('has a row for every variable src/config.ts reads, and none for a variable it does not', () => {
    expect(CONFIG_VARIABLES.length).toBeGreaterThan(40);
    expect(CONFIG_VARIABLES.filter((name) => !documented.includes(name)), 'in src/config.ts, missing from the README table').toEqual([]);
    expect(documented.filter((name) => !CONFIG_VARIABLES.includes(name)), 'in the README table, unknown to src/config.ts').toEqual([]);
    expect(documented.filter((name, i) => documented.indexOf(name) !== i), 'documented twice').toEqual([]);
  });

  it('gives the default the schema applies', () => {
    const defaults = configDefaults();
    const wrong: string[] = [];
    for (const row of rows) {
      // `unset, \`0.0.0.0\`` for two variables: one part each; otherwise the cell is every variable's.
      const parts = row.defaults.split(/,\s+/);
      row.variables.forEach((name, i) => {
        const cell = parts.length === row.variables.length ? parts[i] : row.defaults;
        const value = defaults[name];
        // Without a schema default the README says what unset means (`unset`, `PUBLIC_URL`, a derived value).
        if (value !== undefined && cell.trim() !== `\`${value}\``) {
          wrong.push(`${name}: README says ${cell}, the code's default is \`${value}\``);
        }
      });
    }
    expect(wrong).toEqual([]);
  });
});

describe('README: the tidings command', () => {
  const text = section('The `tidings` command');

  it('names every subcommand of src/cli/program.ts in its section', () => {
    const paths = commandPaths(program);
    expect(paths).toContain('list create');
    const missing = paths.filter((p) => !new RegExp(`tidings ${p.replace(/ /g, ' ')}(?![\\w-])`).test(text));
    expect(missing, 'commands missing from "The `tidings` command"').toEqual([]);
  });

  it('names no command the program does not have', () => {
    const known = new Set(commandPaths(program).flatMap((p) => [p, p.split(' ')[0]]));
    const named = [...text.matchAll(/^tidings ([a-z][a-z-]*(?: [a-z][a-z-]*)?)/gm)].map((m) => m[1]);
    const unknown = named.filter((n) => !known.has(n) && !known.has(n.split(' ')[0]));
    expect(named.length).toBeGreaterThan(10);
    expect(unknown).toEqual([]);
    // A group named with a subcommand it lacks (`tidings list frobnicate`).
    const groups = new Set(program.commands.filter((c) => c.commands.length).map((c) => c.name()));
    expect(named.filter((n) => groups.has(n.split(' ')[0]) && !known.has(n))).toEqual([]);
  });
});

describe('README: links', () => {
  it('points every #anchor at a heading it has (GitHub\'s slugs)', () => {
    let fenced = false;
    const slugs = new Set<string>();
    for (const line of README.split('\n')) {
      if (line.startsWith('```')) fenced = !fenced;
      const heading = !fenced && /^#{1,6} (.*)$/.exec(line);
      if (heading) slugs.add(heading[1].trim().toLowerCase().replace(/[^\p{L}\p{N} _-]/gu, '').replace(/ /g, '-'));
    }
    const anchors = [...README.matchAll(/\]\(#([^)]+)\)/g)].map((m) => m[1]);
    expect(anchors.length).toBeGreaterThan(5);
    expect(anchors.filter((a) => !slugs.has(a))).toEqual([]);
  });

  it('names only files and folders that exist (`src/…`, `test/…`, links to docs/)', () => {
    const named = [
      ...[...README.matchAll(/`((?:src|test|bench|docs|workers|migrations|templates|content|scripts|public)\/[^`\s]*)`/g)].map((m) => m[1]),
      ...[...README.matchAll(/\]\(((?:docs|test|src)\/[^)\s]*)\)/g)].map((m) => m[1]),
    ]
      .map((p) => p.replace(/:\d.*$/, ''))
      .filter((p) => !/[<>*…]/.test(p));
    expect(named.length).toBeGreaterThan(30);
    expect([...new Set(named)].filter((p) => !existsSync(path.join(ROOT, p)))).toEqual([]);
  });
});

describe('README: metrics', () => {
  it('lists every metric src/metrics.ts defines, with its labels, and no other', () => {
    const defined = registry.getMetricsAsArray().map((m) => ({ name: m.name, labels: [...((m as unknown as { labelNames?: string[] }).labelNames ?? [])] }));
    const rows = new Map(
      section('Operators: API, statistics, bounces, dashboards')
        .split('\n')
        .filter((line) => line.startsWith('| `tidings_'))
        .map((line) => {
          const cells = line.split(' | ');
          return [cells[0].replace(/^\| /, '').replace(/`/g, ''), [...cells[1].matchAll(/`([a-z_]+)`/g)].map((m) => m[1])] as const;
        }),
    );
    expect(defined.length).toBeGreaterThan(5);
    expect(defined.filter((m) => !rows.has(m.name)).map((m) => m.name), 'defined, not in the README\'s metrics table').toEqual([]);
    // Only the metrics histograms and counters split by: `le` and prom-client's defaults are not listed.
    expect(defined.filter((m) => rows.has(m.name) && [...m.labels].sort().join() !== [...rows.get(m.name)!].sort().join()).map((m) => `${m.name}: ${m.labels.join(', ')}`)).toEqual([]);
    const known = new Set(defined.map((m) => m.name));
    expect([...rows.keys()].filter((name) => !name.includes('*') && !known.has(name)), 'in the README, not defined').toEqual([]);
  });
});

describe('README: benchmarks', () => {
  it('describes every bench:* script of package.json, and no other', () => {
    const text = section('Benchmarks');
    const scripts = Object.keys(PACKAGE.scripts).filter((name) => name.startsWith('bench:'));
    expect(scripts.length).toBeGreaterThan(3);
    expect(scripts.filter((name) => !text.includes(`npm run ${name}`))).toEqual([]);
    const named = [...README.matchAll(/npm run (bench:[a-z-]+)/g)].map((m) => m[1]);
    expect(named.filter((name) => !scripts.includes(name))).toEqual([]);
  });
});

describe('docker-compose.yml', () => {
  const doc = parseDocument(COMPOSE, { merge: true });
  const services = (doc.toJS({ maxAliasCount: 100 }) as { services: Record<string, { build?: unknown; environment?: Record<string, unknown> }> }).services;
  // The services that run Tidings: built from this repository's Dockerfile.
  const tidings = Object.entries(services).filter(([, service]) => service.build !== undefined);
  /** `${SECRET_KEY:-change-me}` as Compose would resolve it with nothing set on the host. */
  const resolve = (value: unknown) => String(value).replace(/\$\{([A-Z0-9_]+)(?::?-([^}]*))?\}/g, (_, _name, fallback) => fallback ?? '');

  it('runs serve, worker, inbound and migrate from the image', () => {
    expect(tidings.map(([name]) => name).sort()).toEqual(['inbound', 'migrate', 'serve', 'worker']);
  });

  it('sets only variables src/config.ts reads (or Node reads) in the Tidings services', () => {
    const unknown = tidings.flatMap(([name, service]) =>
      Object.keys(service.environment ?? {})
        .filter((key) => !CONFIG_VARIABLES.includes(key) && key !== 'NODE_OPTIONS')
        .map((key) => `${name}: ${key}`),
    );
    expect(unknown).toEqual([]);
    // Variables taken from the host (`${X:-…}`) must be ones the configuration knows, under the same name.
    const interpolated = [...COMPOSE.matchAll(/([A-Z0-9_]+): \$\{([A-Z0-9_]+)/g)].filter(([, key, host]) => key !== host || !CONFIG_VARIABLES.includes(host));
    expect(interpolated.map((m) => m[0])).toEqual([]);
  });

  it('gives each Tidings service a configuration that loads', () => {
    for (const [name, service] of tidings) {
      const env = Object.fromEntries(Object.entries(service.environment ?? {}).map(([key, value]) => [key, resolve(value)]));
      expect(() => loadConfig(env), `service ${name}`).not.toThrow();
    }
  });

  it('has every service named in the README\'s Docker section', () => {
    const text = section('Docker');
    expect(Object.keys(services).filter((name) => !text.includes(`\`${name}\``))).toEqual([]);
  });
});
