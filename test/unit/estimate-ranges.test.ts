// Which mappings an estimate reads, how it batches them, and how its options and text are checked.
import { describe, expect, it } from 'vitest';
import { describeEstimate } from '../../lib/cli/estimate.js';
import { estimate, type Estimate, type EstimatedProcess, type PageCounts } from '../../lib/estimate.js';
import { batchRanges, looksMergeAny, MAPPING_KINDS, PAGE_FLAGS, scanRanges } from '../../lib/kernel/mappings.js';
import { parseSmapsMappings } from '../../lib/kernel/parse.js';

/** smaps text of mappings given as [range, perms, name, anonymous kB, VmFlags]. */
function smaps(...mappings: [string, string, string, number, string][]): string {
  return mappings.map(([range, perms, name, anonymousKb, flags]) =>
    `${range} ${perms} 00000000 00:00 0${name ? `                          ${name}` : ''}\n` +
    `Size:               8 kB\nRss:                8 kB\nAnonymous:      ${anonymousKb} kB\nVmFlags: ${flags}\n`).join('');
}

const SAMPLE = smaps(
  ['1000-3000', 'r--p', '/usr/bin/node', 0, 'rd mr mw me sd'], // no anonymous page: nothing to read
  ['3000-5000', 'rw-p', '/usr/bin/node', 8, 'rd wr mr mw me ac sd'], // written copies of a file's pages
  ['5000-9000', 'rw-p', '[heap]', 16, 'rd wr mr mw me ac sd'],
  ['9000-a000', 'rw-p', '', 4, 'rd wr mr mw me ac sd mg'], // marked mergeable
  ['a000-c000', 'rw-p', '', 8, 'rd wr mr mw me ac sd'],
  ['c000-d000', 'rw-s', '/dev/shm/x', 4, 'rd wr sh mr mw me ms sd'], // shared: never KSM's
  ['d000-e000', 'rw-p', '/dev/fb0', 4, 'rd wr mr mw me io pf sd'], // I/O: KSM refuses it
  ['e000-f000', 'rw-p', '[anon:v8]', 4, 'rd wr mr mw me ac sd'],
  ['7ffc0000-7ffc2000', 'rw-p', '[stack]', 8, 'rd wr mr mw me gd ac'],
  ['7ffc3000-7ffc4000', 'r-xp', '[vdso]', 4, 'rd ex mr mw me de sd'],
);

describe('scanRanges: the mappings an estimate reads', () => {
  it('parses smaps mappings with their names, flags and anonymous memory', () => {
    const mappings = parseSmapsMappings(SAMPLE);
    expect(mappings).toHaveLength(10);
    expect(mappings[2]).toEqual({ start: 0x5000, end: 0x9000, perms: 'rw-p', name: '[heap]',
      flags: ['rd', 'wr', 'mr', 'mw', 'me', 'ac', 'sd'], anonymousKb: 16 });
    expect(mappings[3].name).toBe('');
  });

  it('keeps private mappings holding anonymous pages KSM can merge, each with its kind', () => {
    const ranges = scanRanges(parseSmapsMappings(SAMPLE), false);
    const kinds = ranges.map((r) => [r.start.toString(16), MAPPING_KINDS[r.kind]]);
    expect(kinds).toEqual([['3000', 'file'], ['5000', 'heap'], ['9000', 'mergeable'], ['a000', 'anonymous'],
      ['e000', 'anonymous'], ['7ffc0000', 'stack']]);
    const all = PAGE_FLAGS.mergeableIfProcessWide;
    expect(ranges.map((r) => r.flags)).toEqual([all, all, all | PAGE_FLAGS.markedNow | PAGE_FLAGS.markedByApp, all, all, all]);
  });

  it('counts a mark as the app\'s only when process-wide merge is known to be off', () => {
    for (const mergeAny of [true, undefined]) {
      const marked = scanRanges(parseSmapsMappings(SAMPLE), mergeAny).find((r) => MAPPING_KINDS[r.kind] === 'mergeable')!;
      expect(marked.flags).toBe(PAGE_FLAGS.mergeableIfProcessWide | PAGE_FLAGS.markedNow);
    }
  });

  it('takes a marked stack for process-wide merge, an unmarked one for none (kernels before 6.14 do not say)', () => {
    const looks = (text: string) => looksMergeAny(parseSmapsMappings(text));
    expect(looks(SAMPLE)).toBe(false);
    expect(looks(SAMPLE.replace('rd wr mr mw me gd ac', 'rd wr mr mw me gd ac mg'))).toBe(true);
    expect(looks(SAMPLE.replace('[stack]', ''))).toBeUndefined();
  });

  it('batches ranges by resident anonymous memory, cutting large ones, covering each byte once', () => {
    const range = (start: number, end: number, kind: number, anonymousBytes: number) =>
      ({ start, end, kind, flags: 1, anonymousBytes });
    // 100 bytes of anonymous memory in 0-120, then a huge sparse range, then two small ones.
    const ranges = [range(0, 120, 0, 100), range(200, 2 ** 44, 1, 10), range(2 ** 44, 2 ** 44 + 20, 2, 20),
      range(2 ** 45, 2 ** 45 + 10, 3, 10)];
    const batches = batchRanges(ranges, 40, 4);
    for (const batch of batches) expect(batch.reduce((sum, r) => sum + r.anonymousBytes, 0)).toBeLessThanOrEqual(40);
    // 100 bytes in three pieces of 40 bytes of address space each; the sparse range whole.
    expect(batches.flat().map((r) => [r.start, r.end, r.kind])).toEqual([[0, 40, 0], [40, 80, 0], [80, 120, 0],
      [200, 2 ** 44, 1], [2 ** 44, 2 ** 44 + 20, 2], [2 ** 45, 2 ** 45 + 10, 3]]);
    expect(batches.map((batch) => batch.length)).toEqual([1, 1, 1, 3]);
  });
});

describe('estimate: bad options are refused before anything is read', () => {
  it.each([
    [{ pids: 5 }, TypeError, 'ERR_INVALID_ARG_TYPE'],
    [{ pids: [1, 'x'] }, TypeError, 'ERR_INVALID_ARG_TYPE'],
    [{ pids: [0] }, RangeError, 'ERR_OUT_OF_RANGE'],
    [{ pids: [2 ** 31] }, RangeError, 'ERR_OUT_OF_RANGE'],
    [{ self: 'yes' }, TypeError, 'ERR_INVALID_ARG_TYPE'],
    [{ nodeProcesses: 1 }, TypeError, 'ERR_INVALID_ARG_TYPE'],
    [{ useZeroPages: 'no' }, TypeError, 'ERR_INVALID_ARG_TYPE'],
    [{ signal: {} }, TypeError, 'ERR_INVALID_ARG_TYPE'],
    [{ onProgress: 'log' }, TypeError, 'ERR_INVALID_ARG_TYPE'],
    [{ maxPageSharing: '256' }, TypeError, 'ERR_INVALID_ARG_TYPE'],
    [{ maxPageSharing: 1 }, RangeError, 'ERR_OUT_OF_RANGE'],
    [{ maxPageSharing: 2.5 }, RangeError, 'ERR_OUT_OF_RANGE'],
    ['all', TypeError, 'ERR_INVALID_ARG_TYPE'],
  ])('%j', async (options, type, code) => {
    const rejection = estimate(options as never);
    await expect(rejection).rejects.toBeInstanceOf(type);
    await expect(rejection).rejects.toMatchObject({ code });
  });
});

const counts = (pages: number, duplicates: number): PageCounts =>
  ({ pages, zeroPages: 1, merged: 0, twinsWithin: duplicates, twinsAcross: 0, duplicates });

describe('ksm estimate text', () => {
  const scanned: EstimatedProcess = { pid: 42, command: 'node \x1b]0;x\x07server.js', state: 'scanned', processWideMerge: false,
    ...counts(300, 120), byKind: { mergeable: counts(0, 0), heap: counts(100, 20), stack: counts(0, 0),
      anonymous: counts(200, 100), file: counts(0, 0) } };
  const result: Estimate = {
    pageSize: 4096,
    processes: [scanned, { ...scanned, pid: 43, state: 'unreadable', code: 'EACCES', syscall: 'open' },
      { ...scanned, pid: 44, state: 'gone' }],
    total: counts(300, 120),
    saving: {
      asMarked: { pagesSharing: 0, pagesShared: 0, zeroPages: 0, bytes: 0 },
      processWide: { pagesSharing: 100, pagesShared: 20, zeroPages: 0, bytes: 409_600 },
      markedByApp: { pagesSharing: 0, pagesShared: 0, zeroPages: 0, bytes: 0 },
    },
    markedByAppUnknown: [],
    maxPageSharing: 256,
    useZeroPages: false,
  };

  it('shows the three predictions, where each process keeps its duplicates, and why some were not read', () => {
    const text = describeEstimate(result, { root: false });
    expect(text).toMatch(/process-wide merge in each process +400\.0 KiB +pages_sharing 100$/m);
    expect(text).toMatch(/^ *42 +300 +120 +0 +no +anon 100, \[heap\] 20 +node \\x1b\]0;x\\x07server\.js$/m);
    expect(text).toMatch(/^ *43 +- +- +- +- +unreadable/m);
    expect(text).toContain('43: not readable, EACCES from open (another user\'s, or ptrace restricted by Yama\'s ' +
      'ptrace_scope: run as root to read it)');
    expect(text).toContain('44: exited before or during the scan');
    expect(text).not.toContain('\x1b');
    expect(describeEstimate(result, { root: true })).not.toContain('run as root');
  });

  it('cuts table lines to a terminal\'s width', () => {
    const lines = describeEstimate(result, { root: false, columns: 40 }).split('\n');
    const header = lines.findIndex((line) => line.trimStart().startsWith('PID'));
    for (const line of lines.slice(header, header + 4)) expect(line.length).toBeLessThanOrEqual(40);
  });
});
