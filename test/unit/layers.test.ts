// The layers of lib/ (docs/architecture.md), checked over the imports of its files, which the
// TypeScript compiler parses (import and export ... from, require() and import(), type-only
// ones too): errors.ts and types.ts import nothing of ours, and every layer may import them;
// kernel/ imports only kernel/ and those two; the API modules import anything below the CLI;
// cli/ reaches the kernel only through the API. No cycles. And only kernel/ talks to /proc and
// /sys: no other file names a path there in a string, imports kernel/files.ts (whose readers
// take any path), or imports node:fs, but alloc.ts for the files users ask it to read.
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
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

function parse(file: string): ts.SourceFile {
  return ts.createSourceFile(file, fs.readFileSync(path.join(lib, file), 'utf8'), ts.ScriptTarget.Latest, true);
}

/** A file's module specifiers: import/export ... from, require('x'), import('x'), typeof import('x'). */
function specifiers(source: ts.SourceFile): string[] {
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    let specifier: ts.Node | undefined;
    if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) specifier = node.moduleSpecifier;
    else if (ts.isCallExpression(node) && (node.expression.kind === ts.SyntaxKind.ImportKeyword ||
      (ts.isIdentifier(node.expression) && node.expression.text === 'require'))) specifier = node.arguments[0];
    else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) specifier = node.argument.literal;
    if (specifier && ts.isStringLiteralLike(specifier)) found.push(specifier.text);
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** Each file's imports of our own modules, as paths relative to lib/ (.ts, .mts); package.json is no layer. */
function imports(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of sources()) {
    const targets = specifiers(parse(file)).filter((specifier) => specifier.startsWith('.'))
      .map((specifier) => path.relative(lib, path.resolve(path.dirname(path.join(lib, file)), specifier)))
      .filter((target) => !target.startsWith('..'))
      .map((target) => target.replace(/\.js$/, '.ts').replace(/\.mjs$/, '.mts'));
    graph.set(file, [...new Set(targets)]);
  }
  return graph;
}

// A /proc or /sys path as a literal names it: the directory alone or anything under it (not
// /system, not a/proc). A template's substitutions read as ${}: `/proc/${pid}/smaps` names /proc/${}/smaps.
const KERNEL_PATH = /(?<![\w./-])\/(?:proc|sys)(?![\w-])(?:\/[^\s'"`,;:)]*)?/g;

// Files outside kernel/ whose literals may name /proc and /sys paths, and why.
const NAMES_PATHS_FOR_USERS: Record<string, string> = {
  // Help text telling users where figures come from and what needs root; cli/ cannot read files
  // (no node:fs, no kernel/ import), as the tests below check.
  'cli/ksmd.ts': 'its help names the sysfs directory writes need root for',
  'cli/status.ts': 'its help names the file PSS comes from',
};

/** Each /proc or /sys path that a string or template literal of a lib/ file names: "file:line path". */
function kernelPathLiterals(file: string): string[] {
  const source = parse(file);
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    const text = ts.isStringLiteralLike(node) ? node.text // '...', "...", `...` without ${}
      : ts.isTemplateExpression(node)
        ? node.head.text + node.templateSpans.map((span) => `\${}${span.literal.text}`).join('')
        : undefined;
    if (text !== undefined) {
      const raw = node.getText(source);
      for (const [named] of text.matchAll(KERNEL_PATH)) {
        const at = Math.max(raw.indexOf(named.split('${}')[0]), 0); // the path's own line in a long template
        found.push(`${file}:${source.getLineAndCharacterOfPosition(node.getStart(source) + at).line + 1} ${named}`);
      }
    }
    ts.forEachChild(node, visit); // a template's ${...} may hold literals of its own
  };
  visit(source);
  return found;
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

  it('reads the imports it checks', () => {
    expect(graph.get('stats.ts')).toContain('kernel/parse.ts');
    expect(graph.get('index.ts')).toContain('advise.ts');
    expect(graph.get('index.mts')).toEqual(['index.ts']);
    // register.ts loads the library with require(), inside its try blocks.
    expect(graph.get('register.ts')).toEqual(expect.arrayContaining(['process-merge.ts', 'transparent.ts']));
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

  it('sees /proc and /sys paths in string and template literals', () => {
    const named = kernelPathLiterals('kernel/processes.ts').map((found) => found.split(' ')[1]);
    expect(named).toEqual(expect.arrayContaining(['/proc', '/proc/${}/stat', '/proc/${}/comm']));
    expect('/system /sysfs a/proc /proc-like'.match(KERNEL_PATH)).toBeNull();
  });

  it('names /proc and /sys paths only in kernel/: no string or template literal elsewhere holds one', () => {
    const exempt = Object.keys(NAMES_PATHS_FOR_USERS);
    // An exemption no file needs any more goes.
    for (const [file, why] of Object.entries(NAMES_PATHS_FOR_USERS)) {
      expect(kernelPathLiterals(file), `${file} (exempt: ${why}) names no path`).not.toEqual([]);
    }
    const checked = sources().filter((file) => !file.startsWith('kernel/') && !exempt.includes(file));
    expect(checked.flatMap(kernelPathLiterals)).toEqual([]);
  });

  // What a literal check cannot see: a path built from a constant (`${KSM_SYSFS}/run`) outside kernel/.
  it('only kernel/ imports kernel/files.ts, whose readers take any path', () => {
    expect(graph.get('kernel/ksmd-files.ts')).toContain('kernel/files.ts');
    expect([...graph].filter(([file, targets]) => !file.startsWith('kernel/') && targets.includes('kernel/files.ts'))
      .map(([file]) => file)).toEqual([]);
  });

  it('reads and writes the file system outside kernel/ only in alloc.ts, for the files users ask it to read', () => {
    const users = sources().filter((file) => !file.startsWith('kernel/'))
      .filter((file) => specifiers(parse(file)).some((specifier) => /^(node:)?fs(\/|$)/.test(specifier)));
    expect(users).toEqual(['alloc.ts']);
  });
});
