import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../helpers/child.js';
import { ksmdUnavailable, readKsmFile } from '../helpers/ksmd.js';

const linux = process.platform === 'linux';

describe.skipIf(!linux || ksmdUnavailable)('npm run demo', () => {
  it('exits 0, prints the memory saved, reaches 95% of the maximum, and leaves ksmd as it found it', () => {
    const before = ['run', 'pages_to_scan', 'sleep_millisecs'].map(readKsmFile);
    const result = spawnSync(process.execPath, ['examples/demo.mjs'], { cwd: packageRoot, encoding: 'utf8', timeout: 90_000 });
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^memory saved +\d+\.\d MiB$/m);
    const percent = Number(/^of theoretical max +([\d.]+)%/m.exec(result.stdout)?.[1]);
    expect(percent).toBeGreaterThanOrEqual(95);
    expect(['run', 'pages_to_scan', 'sleep_millisecs'].map(readKsmFile)).toEqual(before);
  });
});
