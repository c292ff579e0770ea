import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  isMarkedMergeable, KsmError, markMergeable, processStats, systemStats, unmarkMergeable,
} from '../../lib/index.js';
import { readOptionalKernelFile } from '../../lib/kernel/files.js';
import { hasMergeAnyLine, noProcessMergeCount, rawProcessStats } from '../helpers/kernel.js';
import { ksmdKey, ksmdUnavailable, withKsmd } from '../helpers/ksmd.js';
import { PAGE_SIZE } from '../helpers/page-size.cjs';
import { KSM_SYSFS, linux } from '../helpers/platform.js';

/** What a file holds, read the plainest way: a number, or the [selected] word. */
function direct(file: string): number | string {
  const text = fs.readFileSync(file, 'utf8').trim();
  return /\[(.+)\]/.exec(text)?.[1] ?? Number(text);
}
/** 2 MiB of repeating bytes, marked and left to ksmd for half a second: counters that are not all zero. */
async function mergeSomePages(): Promise<Buffer> {
  const data = Buffer.alloc(2 * 1024 * 1024, 'node-ksm ');
  markMergeable(data);
  await withKsmd(() => new Promise((resolve) => setTimeout(resolve, 500)));
  return data;
}

describe.skipIf(!linux || ksmdUnavailable)(`stats equal the kernel's files${ksmdUnavailable ? ` (skipped: ${ksmdUnavailable})` : ''}`, () => {
  it('systemStats(): every file in /sys/kernel/mm/ksm, field by field, with ksmd stopped', async () => {
    const data = await mergeSomePages();
    await withKsmd(() => {
      const stats = systemStats() as unknown as Record<string, unknown>;
      const files = fs.readdirSync(KSM_SYSFS);
      expect(files.length).toBeGreaterThan(10);
      for (const file of files) expect([file, stats[ksmdKey(file)]]).toEqual([file, direct(`${KSM_SYSFS}/${file}`)]);
      const vmstat = fs.readFileSync('/proc/vmstat', 'utf8');
      expect(stats.cowKsm).toBe(Number(/^cow_ksm (\d+)$/m.exec(vmstat)?.[1]));
      expect(stats.ksmSwpinCopy).toBe(Number(/^ksm_swpin_copy (\d+)$/m.exec(vmstat)?.[1]));
      expect(stats.savedBytes).toBe(direct(`${KSM_SYSFS}/pages_sharing`) as number * PAGE_SIZE);
      expect(stats.pagesSharing).toBeGreaterThan(0);
      expect(stats.sharingRatio).toBe((stats.pagesSharing as number) / (stats.pagesShared as number));
    }, { run: 0 });
    expect(data[0]).toBe('n'.charCodeAt(0)); // held to the end: its pages are the merged ones
  });

  it('processStats(): every figure this kernel reports for a process (undefined where it reports none), for self and pid 1', async () => {
    const data = await mergeSomePages();
    await withKsmd(() => {
      for (const pid of ['self', 1] as const) expect(processStats(pid)).toEqual(rawProcessStats(pid));
    }, { run: 0 });
    if (!noProcessMergeCount) expect(processStats().mergingPages).toBeGreaterThan(0);
    expect(processStats().mergeable).toBe(hasMergeAnyLine ? true : undefined);
    expect(data[0]).toBe('n'.charCodeAt(0));
  });
});

describe.skipIf(!linux)('stats errors', () => {
  it('a pid that does not exist throws KsmError ENOENT', () => {
    const error = (() => { try { processStats(2 ** 31 - 1); } catch (e) { return e; } })() as KsmError;
    expect(error).toBeInstanceOf(KsmError);
    expect(error.code).toBe('ENOENT');
    expect(error.syscall).toBe('open');
    expect(error.errno).toBe(-2);
  });

  it.each([[0, RangeError, 'ERR_OUT_OF_RANGE'], [-5, RangeError, 'ERR_OUT_OF_RANGE'],
    [1.5, RangeError, 'ERR_OUT_OF_RANGE'], ['1', TypeError, 'ERR_INVALID_ARG_TYPE'],
    [null, TypeError, 'ERR_INVALID_ARG_TYPE']] as const)('pid %j throws %o', (pid, type, code) => {
    expect(() => processStats(pid as never)).toThrow(type);
    expect(() => processStats(pid as never)).toThrow(expect.objectContaining({ code }));
  });

  it('a kernel file that does not exist reads as undefined, not an error', () => {
    expect(readOptionalKernelFile(`${KSM_SYSFS}/no_such_setting`)).toBeUndefined();
  });
});

describe.skipIf(!linux)('isMarkedMergeable: the mg VmFlag as proof', () => {
  it('a fresh buffer is not marked, is after markMergeable, and is not after unmarkMergeable', () => {
    const view = Buffer.alloc(4 * 1024 * 1024);
    expect(isMarkedMergeable(view)).toBe(false);
    markMergeable(view);
    expect(isMarkedMergeable(view)).toBe(true);
    expect(isMarkedMergeable(view.subarray(5000, 20000))).toBe(true);
    unmarkMergeable(view);
    expect(isMarkedMergeable(view)).toBe(false);
  });

  it('is false when only part of the view was marked, and for a view with no whole page', () => {
    const view = Buffer.alloc(4 * 1024 * 1024);
    markMergeable(view, { length: 1024 * 1024 });
    expect(isMarkedMergeable(view)).toBe(false);
    expect(isMarkedMergeable(view.subarray(0, 512 * 1024))).toBe(true);
    expect(isMarkedMergeable(view.subarray(10, 100))).toBe(false);
  });

  it('rejects what it cannot check with the same errors as markMergeable', () => {
    expect(() => isMarkedMergeable('x' as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => isMarkedMergeable(new SharedArrayBuffer(8192) as never))
      .toThrow(expect.objectContaining({ code: 'ERR_KSM_SHARED_MEMORY' }));
  });
});
