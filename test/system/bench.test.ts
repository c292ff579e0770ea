import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../helpers/child.js';
import { noKsmStat, noProcessMerge, noProcessMergeCount, readOptionalKsmFile } from '../helpers/kernel.js';
import { ksmdUnavailable } from '../helpers/ksmd.js';
import { linux } from '../helpers/platform.js';

// Scan cost compares with process-wide merge (6.4+), and counts pages scanned (6.7+).
const scanCostMeasured = !noProcessMerge && readOptionalKsmFile('pages_scanned') !== undefined;
// Savings counts each child's merged pages (5.19+), as processStats() reads them.
const savingsMeasured = !noProcessMergeCount;
const processStatsMeasured = !noKsmStat || !noProcessMergeCount;

describe.skipIf(!linux || ksmdUnavailable)('npm run bench', () => {
  it('npm run -s bench -- --json --quick prints only a JSON document on stdout, with every figure, and restores ksmd', () => {
    const files = ['run', 'pages_to_scan', 'sleep_millisecs', 'advisor_mode'];
    const read = () => files.map(readOptionalKsmFile);
    const before = read();
    const result = spawnSync('npm', ['run', '-s', 'bench', '--', '--json', '--quick'],
      { cwd: packageRoot, encoding: 'utf8', timeout: 240_000 });
    expect(result.status).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report.machine).toMatch(/^Linux .* \d+ x /);
    const names: string[] = report.figures.map((f: { figure: string }) => f.figure);
    for (const part of ['markMergeable(one page) vs madvise in a C loop', ...(processStatsMeasured ? ['processStats()'] : []), 'systemStats()',
      'allocMergeable vs Buffer.alloc, 4 KiB', 'allocMergeable vs Buffer.alloc, 1 MiB', 'mergeableFrom vs Buffer.from',
      'churn: allocate, touch every page, drop; allocMergeable vs Buffer.alloc, 4 KiB',
      'churn: allocate, touch every page, drop; allocMergeable vs Buffer.alloc, 64 KiB',
      'churn: allocate, touch every page, drop; allocMergeable vs Buffer.alloc, 1 MiB',
      'inspect()', "inspect() of 16 MiB vs one kpageflags read over the frames' span", 'mappings added by',
      'transparent mode, placing them: cost of building responses', 'transparent mode, ksmd stopped: cost of building responses',
      'transparent mode, ksmd running, unique data judged not merging: cost of building responses',
      'transparent mode: RSS with 16 MiB of unique 6144-byte Buffers, ksmd stopped', 'transparent mode: RSS with 16 MiB of unique 6144-byte Buffers, ksmd running',
      'transparent mode: PSS of a 4-worker cluster app', 'estimate() of 4 processes x 32 MiB vs memcpy of the same bytes', 'transparent mode: saving, 4 processes each hold 200 Buffer.from copies', ...(savingsMeasured ? ['savings: 2 copies', 'savings: 8 copies'] : []), ...(scanCostMeasured ? ['scan cost: pages scanned per full scan'] : [])]) {
      expect(names.some((name) => name.startsWith(part)), part).toBe(true);
    }
    for (const figure of report.figures) {
      expect(Number.isFinite(figure.ours)).toBe(true);
      if (figure.goal !== undefined) expect(typeof figure.met).toBe('boolean');
    }
    expect(read()).toEqual(before);
  }, 300_000);
});
