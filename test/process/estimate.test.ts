// estimate() on real processes: what it counts, what it reports of processes it cannot read or
// that exit, and that it leaves them as they were. No ksmd here: test/system/estimate.test.ts
// checks the predictions against what ksmd really merges.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { estimate, type EstimatedProcess } from '../../lib/index.js';
import { endChild, lineFrom, packageRoot, runNode } from '../helpers/child.js';
import { PAGE_SIZE } from '../helpers/page-size.cjs';
import { COUNT_LAYOUT, addon } from '../../lib/kernel/addon.js';
import { PAGE_FLAGS } from '../../lib/kernel/mappings.js';
import { fixture } from '../helpers/paths.js';
import { linux, root } from '../helpers/platform.js';

const children: ChildProcessWithoutNullStreams[] = [];

/** A child running estimate-pages.cjs, once it says "ready". */
async function holder(args: string[], options: { uid?: number; gid?: number } = {}): Promise<ChildProcessWithoutNullStreams> {
  const child = spawn(process.execPath, [fixture('estimate-pages.cjs'), ...args], { cwd: packageRoot, ...options });
  children.push(child);
  await lineFrom(child, 'ready');
  return child;
}

afterEach(async () => {
  await Promise.all(children.splice(0).map(endChild));
});

const byPid = (processes: EstimatedProcess[], pid: number | undefined) => processes.find((p) => p.pid === pid)!;

describe.skipIf(!linux)('estimate', () => {
  it('reads the native counts with the layout the addon writes them in', () => {
    expect(addon().PageScanner.layout).toEqual({ ...PAGE_FLAGS, choices: COUNT_LAYOUT.choices.length,
      choiceValues: COUNT_LAYOUT.choiceValues, kindValues: COUNT_LAYOUT.kindValues });
  });

  it('counts identical pages as ksmd merges them: 256 sharers per KSM page, a lone page left over', async () => {
    const child = await holder(['513']);
    const { processes, saving } = await estimate({ pids: [child.pid!], maxPageSharing: 256 });
    const entry = byPid(processes, child.pid);
    expect(entry.state).toBe('scanned');
    expect(entry.byKind.mergeable.duplicates).toBe(513);
    expect(entry.byKind.mergeable.twinsWithin).toBe(513);
    expect(entry.byKind.mergeable.twinsAcross).toBe(0);
    // 513 = 2 x 256 + 1: two KSM pages of 256 sharers (255 saved each); the last page has no partner.
    expect(saving.asMarked).toMatchObject({ pagesSharing: 510, pagesShared: 2, zeroPages: 0 });
    expect(saving.asMarked.bytes).toBe(510 * PAGE_SIZE);
    expect(saving.markedByApp).toEqual(saving.asMarked); // the app marked them; process-wide merge is off
    expect(entry.processWideMerge).toBe(false);
    // Process-wide merge adds whatever else of the process is identical (V8's heap, stacks).
    expect(saving.processWide.pagesSharing).toBeGreaterThanOrEqual(510);
    const unlimited = await estimate({ pids: [child.pid!], maxPageSharing: Infinity });
    expect(unlimited.saving.asMarked).toMatchObject({ pagesSharing: 512, pagesShared: 1 });
    expect(unlimited.maxPageSharing).toBe(Infinity);
  });

  /** A child holding pages laid out as estimate-layout.cjs reads `layout`, once it is ready. */
  async function laidOut(layout: object[]): Promise<ChildProcessWithoutNullStreams> {
    const child = spawn(process.execPath, [fixture('estimate-layout.cjs'), JSON.stringify(layout)], { cwd: packageRoot });
    children.push(child);
    await lineFrom(child, 'ready');
    return child;
  }

  it('counts a KSM page only for contents held twice or more: lone and unique pages share nothing', async () => {
    const child = await laidOut([{ count: 5, fill: 0x11 }, { count: 7, unique: true }, { count: 3, fill: 0x22 }, { count: 1, fill: 0x33 }]);
    const { processes, saving } = await estimate({ pids: [child.pid!], maxPageSharing: 256, useZeroPages: false });
    // 5 copies of one page and 3 of another: 2 KSM pages, 4 + 2 saved. The lone 0x33 page and
    // the 7 unique ones merge with nothing.
    expect(saving.asMarked).toEqual({ pagesSharing: 6, pagesShared: 2, zeroPages: 0, bytes: 6 * PAGE_SIZE });
    expect(byPid(processes, child.pid).byKind.mergeable).toMatchObject({ duplicates: 8, twinsWithin: 8 });
  });

  it.each([true, false])('zero-filled pages with use_zero_pages %s: merged with the zero page, or as any other page', async (useZeroPages) => {
    const child = await laidOut([{ count: 6, zero: true }, { count: 3, fill: 0x44 }]);
    const { saving } = await estimate({ pids: [child.pid!], maxPageSharing: 256, useZeroPages });
    expect(saving.asMarked).toEqual(useZeroPages
      // Each zero page maps the kernel's zero page (ksm_zero_pages); the 3 copies share 1 page.
      ? { pagesSharing: 2, pagesShared: 1, zeroPages: 6, bytes: (2 + 6) * PAGE_SIZE }
      // The 6 zero pages are one more content held 6 times: 2 KSM pages, 5 + 2 saved.
      : { pagesSharing: 7, pagesShared: 2, zeroPages: 0, bytes: 7 * PAGE_SIZE });
  });

  it('tells apart pages that differ from each other in one byte, at each position of a 32-byte block', async () => {
    const positions = Array.from({ length: 32 }, (_, i) => i);
    // Each lane of the first block and of the last, and of one in the middle.
    const differAt = [...positions, ...positions.map((i) => PAGE_SIZE / 2 + i), ...positions.map((i) => PAGE_SIZE - 32 + i)];
    const child = await laidOut([{ count: 2, fill: 0x5a }, { count: 1, fill: 0x5a, differAt }]);
    const { saving } = await estimate({ pids: [child.pid!], maxPageSharing: 256, useZeroPages: false });
    // Only the 2 unchanged pages are twins; each of the 96 others is unlike every page.
    expect(saving.asMarked).toEqual({ pagesSharing: 1, pagesShared: 1, zeroPages: 0, bytes: PAGE_SIZE });
  });

  it('tells twins within a process from twins across processes, and counts each process once', async () => {
    const [a, b] = await Promise.all([holder(['40']), holder(['40'])]);
    const { processes, saving, total } = await estimate({ pids: [a.pid!, b.pid!, a.pid!] });
    expect(processes.map((p) => p.pid)).toEqual([a.pid, b.pid]);
    for (const entry of processes) {
      expect(entry.byKind.mergeable).toMatchObject({ duplicates: 40, twinsWithin: 40, twinsAcross: 40 });
    }
    expect(saving.asMarked).toMatchObject({ pagesSharing: 79, pagesShared: 1 });
    expect(total.pages).toBe(processes[0].pages + processes[1].pages);
  });

  it('reads without changing: absent pages stay absent, every byte stays', async () => {
    const child = await holder(['16', '32']);
    child.stdin.write('check\n');
    type Check = { intact: boolean; untouchedPresent: number };
    const before = JSON.parse(await lineFrom(child)) as Check;
    expect(before.untouchedPresent).toBeLessThan(16);
    const result = await estimate({ pids: [child.pid!] });
    // The 32 MiB of random bytes were read; the 64 MiB never touched were not faulted in.
    expect(byPid(result.processes, child.pid).pages).toBeGreaterThan((32 * 1024 * 1024) / PAGE_SIZE);
    child.stdin.write('check\n');
    const after = JSON.parse(await lineFrom(child)) as Check;
    expect(after.intact).toBe(true);
    // Reading an absent page would map it (the zero page, which RSS does not count): none is.
    expect(after.untouchedPresent).toBe(before.untouchedPresent);
  });

  it('reports a process that exits during the scan as gone, and still counts the others', async () => {
    const [big, small] = await Promise.all([holder(['8', '256']), holder(['8'])]);
    let killed = false;
    const result = await estimate({ pids: [big.pid!, small.pid!], onProgress: ({ pid }) => {
      if (pid !== big.pid || killed) return;
      killed = true;
      big.kill('SIGKILL');
      // Until its memory is gone (a zombie, or reaped), so the next batch finds it gone.
      const deadline = Date.now() + 5_000;
      while (Date.now() < deadline) {
        const state = /\) (\S)/.exec(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'))?.[1];
        if (state === 'Z' || state === 'X') break;
      }
    } });
    expect(killed).toBe(true);
    expect(byPid(result.processes, big.pid)).toMatchObject({ state: 'gone', pages: 0 });
    expect(byPid(result.processes, small.pid)).toMatchObject({ state: 'scanned' });
    expect(byPid(result.processes, small.pid).byKind.mergeable.duplicates).toBe(8);
    // What was read of the gone process before it went is not counted, in totals or predictions.
    expect(result.total.pages).toBe(byPid(result.processes, small.pid).pages);
    const alone = await estimate({ pids: [small.pid!] });
    console.log(`estimate of a set whose other process went: process-wide ${result.saving.processWide.pagesSharing}, ` +
      `of the remaining process alone ${alone.saving.processWide.pagesSharing}`);
    // (V8 may touch a few pages between the two scans; the gone process's pages would be hundreds.)
    expect(Math.abs(result.saving.processWide.pagesSharing - alone.saving.processWide.pagesSharing)).toBeLessThan(100);
  });

  it('a worker thread terminated while its scans run leaves this process whole, 10 times', async () => {
    const big = await holder(['8', '256']);
    for (let round = 0; round < 10; round++) {
      // The scanner's work is on the thread pool when the worker goes: it must neither crash the
      // process nor touch a scanner the worker's teardown has freed.
      const worker = new Worker(`
        const { parentPort, workerData } = require('node:worker_threads');
        require(workerData.lib).estimate({ pids: [workerData.pid], onProgress: () => parentPort.postMessage('batch') });`,
      { eval: true, workerData: { pid: big.pid, lib: path.join(packageRoot, 'dist', 'index.js') } });
      await once(worker, 'message');
      await worker.terminate();
    }
    const after = await estimate({ pids: [big.pid!] });
    expect(byPid(after.processes, big.pid).state).toBe('scanned');
    expect(byPid(after.processes, big.pid).byKind.mergeable.duplicates).toBe(8);
  });

  it('reports a pid with no process as gone', async () => {
    const result = await estimate({ pids: [2 ** 31 - 1] });
    expect(result.processes).toMatchObject([{ pid: 2 ** 31 - 1, state: 'gone' }]);
    expect(result.saving.processWide.pagesSharing).toBe(0);
  });

  it.skipIf(!root)('without root: another user\'s process is unreadable with its reason, its own are read', async () => {
    const other = await holder(['8'], { uid: 65534, gid: 65534 });
    // As daemon (uid 1): a process of its own, started inside, and nobody's.
    const code = `
      const { spawn } = require('node:child_process');
      const { estimate } = require('node-ksm');
      const own = spawn(process.execPath, [${JSON.stringify(fixture('estimate-pages.cjs'))}, '8']);
      own.stdout.once('data', async () => {
        const result = await estimate({ pids: [own.pid, ${other.pid}] });
        own.stdin.end();
        console.log(JSON.stringify(result.processes.map(({ pid, state, code, syscall, merged, pages }) =>
          ({ own: pid === own.pid, state, code, syscall, merged: merged ?? null, pages }))));
      });`;
    const run = runNode(code, { uid: 1, gid: 1 });
    expect(run.stderr).toBe('');
    const [own, nobody] = JSON.parse(run.stdout) as { own: boolean; state: string; code?: string; merged: number | null; pages: number }[];
    expect(own).toMatchObject({ own: true, state: 'scanned', merged: null }); // frame numbers hidden without root
    expect(own.pages).toBeGreaterThan(8);
    expect(nobody).toMatchObject({ own: false, state: 'unreadable', pages: 0 });
    expect(['EACCES', 'EPERM']).toContain(nobody.code);
  });

  it('stops when its signal aborts, with an AbortError whose cause is the reason', async () => {
    const child = await holder(['8', '192']);
    const controller = new AbortController();
    const reason = new Error('enough');
    let batches = 0;
    const aborted = estimate({ pids: [child.pid!], signal: controller.signal, onProgress: () => {
      batches++;
      controller.abort(reason);
    } });
    await expect(aborted).rejects.toMatchObject({ name: 'AbortError', code: 'ABORT_ERR', cause: reason });
    expect(batches).toBe(1); // the 192 MiB take three batches or more: it stopped after the first
    await expect(estimate({ pids: [child.pid!], signal: AbortSignal.abort(reason) })).rejects.toMatchObject({ cause: reason });
  });

  it('reads every Node.js process by default, this one aside', async () => {
    const child = await holder(['8']);
    const result = await estimate();
    expect(byPid(result.processes, child.pid)).toMatchObject({ state: 'scanned' });
    expect(result.processes.some((p) => p.pid === process.pid)).toBe(false);
    // Only node's: the program of each command line (these tests never rename a process).
    for (const p of result.processes.filter(({ state }) => state !== 'gone')) {
      expect(p.command.split(' ')[0].split('/').pop()).toMatch(/^(node|nodejs)$/);
    }
  });

  it('reads this process with self, and what KSM merged is known as root', async () => {
    const result = await estimate({ self: true });
    const entry = byPid(result.processes, process.pid);
    expect(entry.state).toBe('scanned');
    expect(entry.pages).toBeGreaterThan(1000);
    if (root) expect(entry.merged).toBeTypeOf('number');
    expect(entry.command).toContain('node');
  });
});
