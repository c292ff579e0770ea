import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot, runNodeJson } from './helpers/child.js';
import { ksmdUnavailable, readKsmFile, waitForFullScans, waitUntil, withKsmd } from './helpers/ksmd.js';

const fixture = (name: string) => path.join(__dirname, 'fixtures', name);
const linux = process.platform === 'linux';

describe.skipIf(!linux)('the mapping count stays bounded', () => {
  it('100,000 live allocMergeable(4096) add at most 256 mappings, and all go back after GC', () => {
    const report = runNodeJson<{
      before: { maps: number; rss: number }; live: { maps: number }; after: { maps: number; rss: number };
      rightLength: boolean; zeroFilled: boolean; pageAligned: boolean; marked: boolean;
    }>('', { args: ['--expose-gc', fixture('alloc-lifecycle.cjs'), '100000', '4096'] });
    expect(report).toMatchObject({ rightLength: true, zeroFilled: true, pageAligned: true, marked: true });
    expect(report.live.maps - report.before.maps).toBeLessThanOrEqual(256);
    expect(report.after.maps - report.before.maps).toBeLessThanOrEqual(16);
    expect(report.after.rss - report.before.rss).toBeLessThanOrEqual(64 * 1024 * 1024);
  });
});

interface CopiesReport { mode: string; pages: number; merging: number; scans: number; maps: number; intact: boolean }

describe.skipIf(!linux || ksmdUnavailable)(`copies really merge${ksmdUnavailable ? ` (skipped: ${ksmdUnavailable})` : ''}`, () => {
  it('10,000 mergeableFrom(6 KiB) copies: at least 99% of their 20,000 pages merge; Buffer.from + markMergeable far fewer', async () => {
    const run = (mode: string) => runNodeJson<CopiesReport>('',
      { args: ['--expose-gc', fixture('copies-merge.cjs'), mode, '10000', String(6 * 1024), '6'] });
    const [aligned, plain] = await withKsmd(() => [run('mergeableFrom'), run('bufferFrom')]);
    console.log(`10,000 copies of 6 KiB: mergeableFrom merged ${aligned.merging}/${aligned.pages} pages ` +
      `(${aligned.maps} mappings); Buffer.from + markMergeable merged ${plain.merging}/${plain.pages} ` +
      `after ${plain.scans} full scans (${plain.maps} mappings)`);
    expect(aligned.pages).toBe(20_000);
    expect(aligned.merging).toBeGreaterThanOrEqual(0.99 * 20_000);
    expect(aligned.intact).toBe(true);
    // The contrast that justifies the allocator: unaligned heap copies barely merge, and
    // marking them one by one splits the heap into thousands of mappings.
    expect(plain.intact).toBe(true);
    expect(plain.merging).toBeLessThan(0.5 * aligned.merging);
    expect(plain.maps).toBeGreaterThan(aligned.maps + 5_000);
  });

  it('copies made in reused slots that held other bytes merge just as well', async () => {
    const report = await withKsmd(() => runNodeJson<CopiesReport>('',
      { args: ['--expose-gc', fixture('copies-merge.cjs'), 'mergeableFromReused', '3000', String(6 * 1024), '6'] }));
    expect(report.intact).toBe(true);
    expect(report.merging).toBeGreaterThanOrEqual(0.99 * report.pages);
  });

  it('4 processes each readFileMergeable the same 32 MiB file: pages_sharing grows by 98% of 3 x 8,192', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'node-ksm-'));
    const file = path.join(dir, 'data.bin');
    fs.writeFileSync(file, randomBytes(32 * 1024 * 1024));
    const children = Array.from({ length: 4 }, () => spawn(process.execPath, [fixture('hold-file.cjs'), file],
      { cwd: packageRoot, stdio: ['pipe', 'pipe', 'inherit'] }));
    try {
      await withKsmd(async () => {
        // Pages of processes that just exited leave the counts only as ksmd passes over them.
        await waitForFullScans(2);
        const baseline = Number(readKsmFile('pages_sharing'));
        await Promise.all(children.map((child) => new Promise<void>((resolve, reject) => {
          child.stdout.once('data', (chunk: Buffer) => (String(chunk).startsWith('ready') ? resolve() : reject(new Error(String(chunk)))));
          child.once('exit', (code) => reject(new Error(`child exited with ${code}`)));
        })));
        const target = baseline + 0.98 * 3 * 8192;
        let sharing = baseline;
        await waitUntil(() => (sharing = Number(readKsmFile('pages_sharing'))) >= target, 40_000, 200);
        console.log(`4 x 32 MiB readFileMergeable: pages_sharing grew by ${sharing - baseline} of 24,576 possible`);
        expect(sharing - baseline).toBeGreaterThanOrEqual(0.98 * 3 * 8192);
      });
    } finally {
      for (const child of children) child.stdin.end();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
