import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { inspect, markMergeable, mergeableFrom, unmarkMergeable } from '../../lib/index.js';
import { packageRoot, runNodeJson } from '../helpers/child.js';
import { ksmdUnavailable, waitUntil, withKsmd, readKsmFile, waitForFullScans } from '../helpers/ksmd.js';
import { noProcessMergeCount } from '../helpers/kernel.js';
import { PAGE_SIZE } from '../helpers/page-size.cjs';
import { fixture } from '../helpers/paths.js';
import { linux } from '../helpers/platform.js';

const PAGE = PAGE_SIZE;

// 10,000 copies of 6 KiB, page-aligned: 20,000 pages as ksm_stat counts them, or where the
// kernel has no per-process count (before 5.19) the 10,000 whole pages counted page by page.
const copiesPages = noProcessMergeCount ? 10_000 : 20_000;

/**
 * Starts 4 children (`node ARGS`, each printing "ready" once it holds its data) with ksmd running,
 * and waits up to 40 s for pages_sharing to grow by `target` pages; returns how much it grew.
 * The children are gone when it returns, so the next test's baseline does not count them.
 */
async function sharingGrowth(args: string[], env: NodeJS.ProcessEnv, target: number): Promise<number> {
  const children: ReturnType<typeof spawn>[] = [];
  // ksmd counts full scans only while something is mergeable: a few unique pages of this
  // process's, which never merge and so never move pages_sharing.
  const scanned = mergeableFrom(randomBytes(16 * PAGE_SIZE));
  try {
    return await withKsmd(async () => {
      // Pages of processes that just exited leave the counts only as ksmd passes over them.
      await waitForFullScans(2);
      // The baseline comes before the children exist: started earlier, their copies could
      // merge during those scans and count in it.
      const baseline = Number(readKsmFile('pages_sharing'));
      for (let i = 0; i < 4; i++) {
        children.push(spawn(process.execPath, args, { cwd: packageRoot, env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'inherit'] }));
      }
      await Promise.all(children.map((child) => new Promise<void>((resolve, reject) => {
        child.stdout!.once('data', (chunk: Buffer) => (String(chunk).startsWith('ready') ? resolve() : reject(new Error(String(chunk)))));
        child.once('exit', (code) => reject(new Error(`child exited with ${code}`)));
      })));
      let sharing = baseline;
      await waitUntil(() => (sharing = Number(readKsmFile('pages_sharing'))) >= baseline + target, 40_000, 200);
      expect(scanned.length).toBe(16 * PAGE_SIZE);
      return sharing - baseline;
    });
  } finally {
    await Promise.all(children.map((child) => new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve(undefined);
      child.once('exit', resolve);
      child.stdin!.end();
    })));
  }
}

interface CopiesReport { mode: string; pages: number; merging: number; scans: number; maps: number; intact: boolean }

describe.skipIf(!linux || ksmdUnavailable)(`real merging${ksmdUnavailable ? ` (skipped: ${ksmdUnavailable})` : ''}`, () => {
  it('merges two identical buffers marked with markMergeable', async () => {
    const size = 4096 * PAGE; // 16 MiB
    const content = randomBytes(size);
    // Each copy starts on a page boundary inside its own buffer (learned from the advised
    // range), so their pages hold the same bytes and can merge.
    const buffers = [Buffer.alloc(size + PAGE), Buffer.alloc(size + PAGE)];
    const copies = buffers.map((buffer) => {
      const { start } = markMergeable(buffer);
      content.copy(buffer, start);
      return markMergeable(buffer, { offset: start, length: size });
    });
    expect(copies.map((c) => c.pages)).toEqual([4096, 4096]);

    const target = copies[0].pages + copies[1].pages - 4;
    let merging = 0;
    // Counted page by page (pagemap and kpageflags, as root): every kernel can say this.
    const mergedPages = () => buffers.reduce((sum, buffer, i) =>
      sum + (inspect(buffer.subarray(copies[i].start, copies[i].end)).merged ?? 0), 0);
    const merged = await withKsmd(() => waitUntil(() => (merging = mergedPages()) >= target, 30_000));
    expect(merging).toBeGreaterThanOrEqual(target);
    expect(merged).toBe(true);
    expect(buffers[0].equals(buffers[1])).toBe(true); // still alive, and merging changed no byte
    // Unmerge now rather than whenever GC collects them (their marks go then): later tests
    // measure pages_sharing, and must not see it fall by these 4,096 pages midway.
    for (const buffer of buffers) unmarkMergeable(buffer);
  });
});

describe.skipIf(!linux || ksmdUnavailable)(`copies really merge${ksmdUnavailable ? ` (skipped: ${ksmdUnavailable})` : ''}`, () => {
  it('10,000 mergeableFrom(6 KiB) copies: at least 99% of their 20,000 pages merge; Buffer.from + markMergeable far fewer', async () => {
    const run = (mode: string) => runNodeJson<CopiesReport>('',
      { args: ['--expose-gc', fixture('copies-merge.cjs'), mode, '10000', String(6 * 1024), '6'] });
    const [aligned, plain] = await withKsmd(() => [run('mergeableFrom'), run('bufferFrom')]);
    console.log(`10,000 copies of 6 KiB: mergeableFrom merged ${aligned.merging}/${aligned.pages} pages ` +
      `(${aligned.maps} mappings); Buffer.from + markMergeable merged ${plain.merging}/${plain.pages} ` +
      `after ${plain.scans} full scans (${plain.maps} mappings)`);
    expect(aligned.pages).toBe(copiesPages);
    expect(aligned.merging).toBeGreaterThanOrEqual(0.99 * copiesPages);
    expect(aligned.intact).toBe(true);
    // The contrast that justifies the allocator: unaligned heap copies barely merge, and
    // marking them one by one splits the heap into thousands of mappings.
    expect(plain.intact).toBe(true);
    // (A quarter as many by ksm_stat's count; counted page by page, before 5.19, about half:
    // that count leaves out the aligned copies' partial last pages, which merge too.)
    expect(plain.merging).toBeLessThan(0.6 * aligned.merging);
    expect(plain.maps).toBeGreaterThan(aligned.maps + 5_000);
  });

  it('in transparent mode, 10,000 plain Buffer.from(6 KiB) copies in unchanged code: at least 99% of their 20,000 pages merge', async () => {
    const report = await withKsmd(() => runNodeJson<CopiesReport>('', {
      args: ['-r', 'node-ksm/register', '--expose-gc', fixture('copies-merge.cjs'), 'unchanged', '10000', String(6 * 1024), '6'],
      env: { NODE_KSM_MERGE: 'buffers' },
    }));
    console.log(`transparent mode, 10,000 Buffer.from copies of 6 KiB: merged ${report.merging}/${report.pages} pages ` +
      `(${report.maps} mappings)`);
    expect(report.pages).toBe(copiesPages);
    expect(report.merging).toBeGreaterThanOrEqual(0.99 * copiesPages);
    expect(report.intact).toBe(true);
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
    try {
      const grown = await sharingGrowth([fixture('hold-file.cjs'), file], {}, 0.98 * 3 * 8192);
      console.log(`4 x 32 MiB readFileMergeable: pages_sharing grew by ${grown} of 24,576 possible`);
      expect(grown).toBeGreaterThanOrEqual(0.98 * 3 * 8192);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it(`in transparent mode on Node ${process.versions.node}, 4 unchanged processes each holding 5,000 Buffer.from copies of one ` +
    'rendered 6 KiB page: pages_sharing grows by 99% of the ideal', async () => {
    // Each copy is 2 pages; all but one copy of each page could go.
    const ideal = (4 * 5000 - 1) * Math.ceil((6 * 1024) / PAGE);
    const grown = await sharingGrowth(['-r', 'node-ksm/register', fixture('hold-template-copies.cjs'), '5000'],
      { NODE_KSM_MERGE: 'buffers' }, 0.99 * ideal);
    console.log(`transparent mode, 4 x 5,000 Buffer.from copies of 6 KiB: pages_sharing grew by ${grown} of ${ideal} ideal`);
    expect(grown).toBeGreaterThanOrEqual(0.99 * ideal);
  });
});
