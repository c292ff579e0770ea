// estimate()'s predictions against what ksmd really merges: four children hold the same 64 MiB
// of file data and 5,000 copies each of one 6 KiB template, as apps do.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { allocMergeable, estimate, type Estimate } from '../../lib/index.js';
import { endChild, lineFrom, packageRoot } from '../helpers/child.js';
import { noProcessMerge } from '../helpers/kernel.js';
import { ksmdUnavailable, readKsmFile, waitForFullScans, withKsmd } from '../helpers/ksmd.js';
import { fixture } from '../helpers/paths.js';
import { linux } from '../helpers/platform.js';

const pagesSharing = () => Number(readKsmFile('pages_sharing'));

/** pages_sharing once it holds still over two full scans in a row. */
async function settledPagesSharing(): Promise<number> {
  let last = -1;
  for (let round = 0; round < 60; round++) {
    await waitForFullScans(2, 60_000);
    const now = pagesSharing();
    if (now === last) return now;
    last = now;
  }
  throw new Error('pages_sharing never settled');
}

/**
 * Starts four children in MODE, estimates them, lets ksmd merge (after `turnOn`), and returns
 * the estimate with pages_sharing's growth since before the children existed.
 */
async function estimateThenMerge(mode: 'plain' | 'marked', turnOn: (children: ChildProcessWithoutNullStreams[]) => Promise<void>):
  Promise<{ estimate: Estimate; growth: number }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'node-ksm-estimate-'));
  const file = path.join(dir, 'data.bin');
  fs.writeFileSync(file, randomBytes(64 * 1024 * 1024));
  // A few unique mergeable pages of this process's own keep ksmd counting full scans throughout.
  const keepScanning = allocMergeable(16 * 4096);
  keepScanning.set(randomBytes(keepScanning.length));
  const children: ChildProcessWithoutNullStreams[] = [];
  try {
    return await withKsmd(async () => {
      const before = await settledPagesSharing();
      for (let i = 0; i < 4; i++) {
        children.push(spawn(process.execPath, ['--expose-gc', fixture('estimate-child.cjs'), mode, file, '5000'],
          { cwd: packageRoot }));
      }
      await Promise.all(children.map((child) => lineFrom(child, 'ready')));
      const result = await estimate({ pids: children.map((child) => child.pid!) });
      await turnOn(children);
      return { estimate: result, growth: (await settledPagesSharing()) - before };
    });
  } finally {
    await Promise.all(children.map(endChild));
    fs.rmSync(dir, { recursive: true, force: true });
    keepScanning.fill(0);
  }
}

describe.skipIf(!linux || ksmdUnavailable)(`estimate against ksmd${ksmdUnavailable ? ` (skipped: ${ksmdUnavailable})` : ''}`, () => {
  it.skipIf(noProcessMerge)(`process-wide: within 3% of the pages_sharing ksmd reaches once the children turn it on${noProcessMerge ? ` (${noProcessMerge})` : ''}`, async () => {
    const { estimate: result, growth } = await estimateThenMerge('plain', async (children) => {
      for (const child of children) child.stdin.write('merge\n');
      await Promise.all(children.map((child) => lineFrom(child, 'merging')));
    });
    const predicted = result.saving.processWide.pagesSharing;
    console.log(`process-wide: predicted pages_sharing ${predicted}, ksmd reached +${growth} ` +
      `(${((predicted / growth - 1) * 100).toFixed(2)}%); as marked ${result.saving.asMarked.pagesSharing}`);
    expect(result.processes.every((p) => p.state === 'scanned')).toBe(true);
    // 64 MiB of file data in each of four: 3 x 16,384 pages at least.
    expect(growth).toBeGreaterThan(3 * 16_384);
    expect(Math.abs(predicted - growth)).toBeLessThanOrEqual(0.03 * growth);
    // Nothing was marked before: as marked now, nothing would merge.
    expect(result.saving.asMarked.pagesSharing).toBe(0);
  });

  it('as marked: within 3% of the pages_sharing ksmd reaches for children using mergeableFrom and readFileMergeable', async () => {
    const { estimate: result, growth } = await estimateThenMerge('marked', async () => undefined);
    const predicted = result.saving.asMarked.pagesSharing;
    console.log(`as marked: predicted pages_sharing ${predicted}, ksmd reached +${growth} ` +
      `(${((predicted / growth - 1) * 100).toFixed(2)}%)`);
    // The file's 16,384 pages in four processes, and most of the copies' 4 x 10,000 pages.
    expect(growth).toBeGreaterThan(3 * 16_384 + 4 * 5_000);
    expect(Math.abs(predicted - growth)).toBeLessThanOrEqual(0.03 * growth);
    expect(result.saving.markedByApp).toEqual(result.saving.asMarked);
  });
});
