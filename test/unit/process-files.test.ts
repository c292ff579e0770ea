// The per-process /proc files `ksm status` reads beyond ksm_stat: smaps_rollup and stat.
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { KsmError } from '../../lib/errors.js';
import { isKernelThreadStat, parseSmapsRollup } from '../../lib/kernel/parse.js';
import { isGone } from '../../lib/kernel/processes.js';
import { fixture } from '../helpers/paths.js';

describe('parseSmapsRollup', () => {
  it.each([
    ['smaps_rollup-5.15', 45632, 20810],
    ['smaps_rollup-6.18', 1740, 241],
  ])('%s: Rss and Pss in bytes, not Pss_Anon, Pss_Dirty or SwapPss', (name, rssKib, pssKib) => {
    expect(parseSmapsRollup(fs.readFileSync(fixture(name), 'latin1'))).toEqual({ rssBytes: rssKib * 1024, pssBytes: pssKib * 1024 });
  });

  it('a process without memory (a kernel thread, a zombie) reads empty: both undefined', () => {
    expect(parseSmapsRollup('')).toEqual({ rssBytes: undefined, pssBytes: undefined });
  });
});

describe('isKernelThreadStat: PF_KTHREAD in the flags field of /proc/<pid>/stat', () => {
  const stat = (comm: string, flags: number) =>
    `2 (${comm}) S 0 0 0 0 -1 ${flags} 0 0 0 0 0 0 0 0 20 0 1 0 6 0 0 18446744073709551615 0 0 0 0 0`;

  it('kthreadd and kworkers are kernel threads', () => {
    expect(isKernelThreadStat(stat('kthreadd', 2129984))).toBe(true);
    expect(isKernelThreadStat(stat('kworker/0:1-events', 69238880))).toBe(true);
  });

  it('a user process is not, whatever its name holds (spaces, parentheses, digits)', () => {
    expect(isKernelThreadStat(stat('node', 4194304))).toBe(false);
    expect(isKernelThreadStat(stat('a) S 0 0 0 0 -1 2129984 (b', 4194560))).toBe(false);
    expect(isKernelThreadStat(stat(') 2129984 2129984 2129984 2129984 2129984 2129984 2129984', 0))).toBe(false);
  });
});

describe('isGone: a process that exited between listing /proc and reading its files', () => {
  it('ENOENT (its directory went) and ESRCH (a zombie\'s smaps_rollup) mean gone; EACCES does not', () => {
    expect(isGone(new KsmError('x', { code: 'ENOENT' }))).toBe(true);
    expect(isGone(new KsmError('x', { code: 'ESRCH' }))).toBe(true);
    expect(isGone(new KsmError('x', { code: 'EACCES' }))).toBe(false);
    expect(isGone(new KsmError('x', { code: 'EPERM' }))).toBe(false);
  });
});
