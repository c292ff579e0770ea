// The layers of lib/ (docs/architecture.md), checked over the import lines of its files:
// errors.ts and types.ts import nothing of ours, and every layer may import them; kernel/
// imports only kernel/ and those two; the API modules import anything below the CLI; cli/
// reaches the kernel only through the API.
// No cycles. And every read or write of /proc and /sys is in kernel/.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../helpers/paths.js';

const lib = path.join(packageRoot, 'lib');

function sources(dir = lib): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sources(full);
    return /\.m?ts$/.test(entry.name) ? [path.relative(lib, full)] : [];
  });
}

/** Each file's imports of our own modules, as paths relative to lib/ (.ts). */
function imports(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of sources()) {
    const text = fs.readFileSync(path.join(lib, file), 'utf8');
    const targets = [...text.matchAll(/^(?:import|export)\b[^;]*?\bfrom '(\.[^']+)'/gms)].map((match) =>
      path.relative(lib, path.resolve(path.dirname(path.join(lib, file)), match[1])).replace(/\.js$/, '.ts'));
    graph.set(file, targets);
  }
  return graph;
}

type Layer = 'errors' | 'types' | 'kernel' | 'api' | 'cli' | 'entry';

function layerOf(file: string): Layer {
  if (file === 'errors.ts') return 'errors';
  if (file === 'types.ts') return 'types';
  if (file.startsWith('kernel/')) return 'kernel';
  if (file.startsWith('cli/')) return 'cli';
  if (['index.ts', 'index.mts', 'register.ts', 'metrics.ts'].includes(file)) return 'entry';
  return 'api';
}

const ALLOWED: Record<Layer, Layer[]> = {
  errors: [],
  types: [],
  kernel: ['kernel', 'errors', 'types'],
  api: ['api', 'kernel', 'errors', 'types'],
  cli: ['cli', 'api', 'errors', 'types'],
  entry: ['api', 'errors', 'types', 'entry'],
};

describe('the layers of lib/', () => {
  const graph = imports();

  it('reads the import lines it checks', () => {
    expect(graph.get('stats.ts')).toContain('kernel/parse.ts');
    expect(graph.get('index.ts')).toContain('advise.ts');
  });

  it('every import runs down the layers, never up', () => {
    const wrong = [...graph].flatMap(([file, targets]) => targets
      .filter((target) => !ALLOWED[layerOf(file)].includes(layerOf(target)))
      .map((target) => `${file} (${layerOf(file)}) imports ${target} (${layerOf(target)})`));
    expect(wrong).toEqual([]);
  });

  it('has no import cycle', () => {
    const cycles: string[] = [];
    const state = new Map<string, 'visiting' | 'done'>();
    const visit = (file: string, trail: string[]) => {
      if (state.get(file) === 'done') return;
      if (state.get(file) === 'visiting') {
        cycles.push([...trail.slice(trail.indexOf(file)), file].join(' -> '));
        return;
      }
      state.set(file, 'visiting');
      for (const target of graph.get(file) ?? []) visit(target, [...trail, file]);
      state.set(file, 'done');
    };
    for (const file of graph.keys()) visit(file, []);
    expect(cycles).toEqual([]);
  });

  it('reads and writes /proc and /sys only in kernel/: nothing else imports node:fs but the file readers of alloc.ts', () => {
    const users = sources().filter((file) => !file.startsWith('kernel/'))
      .filter((file) => /from 'node:fs'|require\('node:fs'\)/.test(fs.readFileSync(path.join(lib, file), 'utf8')));
    expect(users).toEqual(['alloc.ts']);
    const alloc = fs.readFileSync(path.join(lib, 'alloc.ts'), 'utf8');
    expect(alloc).not.toMatch(/fs\.\w+\([^)]*['`]\/(proc|sys)\//);
  });
});
