import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Estimate } from '../../lib/index.js';
import { packageRoot } from '../helpers/child.js';
import { ksmdUnavailable, readKsmFile } from '../helpers/ksmd.js';
import { linux } from '../helpers/platform.js';

const SETTINGS = ['run', 'pages_to_scan', 'sleep_millisecs'];

describe.skipIf(!linux || ksmdUnavailable)('npm run demo', () => {
  it('exits 0, prints the memory saved, reaches 95% of the maximum, and leaves ksmd as it found it', () => {
    const before = SETTINGS.map(readKsmFile);
    const result = spawnSync(process.execPath, ['examples/demo.mjs'], { cwd: packageRoot, encoding: 'utf8', timeout: 90_000 });
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^memory saved +\d+\.\d MiB$/m);
    const percent = Number(/^of theoretical max +([\d.]+)%/m.exec(result.stdout)?.[1]);
    expect(percent).toBeGreaterThanOrEqual(95);
    expect(SETTINGS.map(readKsmFile)).toEqual(before);
  });

  it('with --hold keeps its workers for the ksm estimate it prints (as the README shows), until Ctrl-C', async () => {
    const before = SETTINGS.map(readKsmFile);
    const demo = spawn(process.execPath, ['examples/demo.mjs', '--hold'], { cwd: packageRoot });
    const exited = new Promise((resolve) => demo.once('exit', (code, signal) => resolve({ code, signal })));
    try {
      let out = '';
      await new Promise<void>((resolve, reject) => {
        demo.stdout.on('data', (data) => {
          out += data;
          if (/npx --no ksm estimate.*\n/.test(out)) resolve();
        });
        demo.once('exit', () => reject(new Error(`demo ended early: ${out}`)));
      });
      const args = /npx --no ksm (estimate.*)\n/.exec(out)![1].split(' ');
      const run = () => {
        const result = spawnSync(process.execPath, [path.join(packageRoot, 'bin', 'ksm.js'), ...args, '--json'],
          { cwd: packageRoot, encoding: 'utf8', timeout: 60_000 });
        expect(result.status).toBe(0);
        return JSON.parse(result.stdout) as Estimate;
      };
      // With ksmd stopped nothing merges again, so a second estimate's count of merged frames
      // shows whether reading the pages broke merges (pinning a KSM page to read it copies it out).
      const ksmdRun = readKsmFile('run');
      fs.writeFileSync('/sys/kernel/mm/ksm/run', '0');
      let estimate: Estimate;
      let again: Estimate;
      try {
        estimate = run();
        again = run();
      } finally {
        fs.writeFileSync('/sys/kernel/mm/ksm/run', ksmdRun);
      }
      expect(again.total.merged).toBe(estimate.total.merged);
      expect(estimate.processes.map((p) => p.state)).toEqual(['scanned', 'scanned', 'scanned', 'scanned']);
      // The 64 MiB file in four workers: three copies' pages saved, all of them merged already.
      expect(estimate.saving.asMarked.pagesSharing).toBeGreaterThanOrEqual(3 * 16_384);
      expect(estimate.total.merged).toBeGreaterThanOrEqual(4 * 16_384);
      expect(estimate.saving.processWide.pagesSharing).toBeGreaterThanOrEqual(estimate.saving.asMarked.pagesSharing);
    } finally {
      demo.kill('SIGINT');
      expect(await exited).toEqual({ code: 130, signal: null });
    }
    expect(SETTINGS.map(readKsmFile)).toEqual(before);
  });
});
