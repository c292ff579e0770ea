// Every JavaScript block in the README and the API reference runs as written against the built
// package, on this kernel, with ksmd running (the quick start waits for a merge).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../helpers/child.js';
import { ksmdUnavailable, withKsmd } from '../helpers/ksmd.js';
import { linux } from '../helpers/platform.js';

const blocksOf = (file: string) => [...fs.readFileSync(path.join(packageRoot, file), 'utf8')
  .matchAll(/^```js\n([\s\S]*?)^```$/gm)].map((match) => match[1]);
const blocks = blocksOf('README.md');
const apiBlocks = blocksOf('docs/api.md');
// Inside the package, so `node-ksm` resolves to it (a package may import itself by name) and
// prom-client to its devDependency, as in a user's project.
const dir = path.join(packageRoot, 'build', 'readme-blocks');

describe.skipIf(!linux || ksmdUnavailable)('the docs\' JavaScript blocks', () => {
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('are there to run: the README\'s quick start, choosing an approach, the metrics; the reference\'s', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(3);
    expect(apiBlocks.length).toBeGreaterThanOrEqual(3);
  });

  const cases: [string, number, string][] = [
    ...blocks.map((code, index): [string, number, string] => ['README.md', index + 1, code]),
    ...apiBlocks.map((code, index): [string, number, string] => ['docs/api.md', index + 1, code]),
  ];
  // The README's blocks print what they check, so a `false` in their output is a failure.
  it.each(cases)('%s block %i runs and exits 0 (the README\'s printing no false)', async (doc, index, code) => {
    fs.mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `${path.basename(doc, '.md')}-${index}.${/^import /m.test(code) ? 'mjs' : 'cjs'}`);
    fs.writeFileSync(file, code);
    const result = await withKsmd(() => spawnSync(process.execPath, [file], { cwd: packageRoot, encoding: 'utf8', timeout: 60_000 }));
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    if (doc === 'README.md') {
      expect(result.stdout).not.toBe('');
      expect(result.stdout).not.toMatch(/\bfalse\b/);
    }
  });
});
