// The text of `ksm status` and `ksm watch` built from given figures (no kernel read).
import { describe, expect, it } from 'vitest';
import { describeSystem, describeUnreadable } from '../../lib/cli/status.js';
import { snapshotJson } from '../../lib/cli/watch.js';
import type { SystemStats } from '../../lib/stats.js';
import type { KsmSnapshot } from '../../lib/watch.js';

const system = {
  run: 1, pagesToScan: 5000, sleepMillisecs: 20, pagesShared: 12_345, pagesSharing: 1_234_567, pagesUnshared: 2_345_678,
  pagesVolatile: 34_567, fullScans: 123_456, generalProfit: 5_000_000_000, ksmZeroPages: 45_678, maxPageSharing: 256,
  useZeroPages: 1, mergeAcrossNodes: 1, smartScan: 1, advisorMode: 'none', savedBytes: 5_056_786_432, sharingRatio: 100.01,
  cowKsm: 3, ksmSwpinCopy: 0,
} as unknown as SystemStats;

describe('ksm status text', () => {
  it('the system figures fit 80 columns with large values', () => {
    for (const line of describeSystem(system).split('\n')) expect(line.length).toBeLessThanOrEqual(80);
    expect(describeSystem(system)).toMatch(/^saved: +4\.7 GiB, general profit 4\.7 GiB$/m);
  });

  it('says nothing when every process could be read', () => {
    expect(describeUnreadable([], false)).toBeUndefined();
  });

  it('counts the processes it could not read, and says root would show them', () => {
    expect(describeUnreadable([{ pid: 1, code: 'EACCES' }], false)).toBe('1 process could not be read (not yours): run as root to see it');
    expect(describeUnreadable([{ pid: 1, code: 'EACCES' }, { pid: 7, code: 'EPERM' }, { pid: 9, code: 'EACCES' }], false))
      .toBe('3 processes could not be read (not yours): run as root to see them');
  });

  it('as root (or for other failures) names the codes instead, since root would not help', () => {
    expect(describeUnreadable([{ pid: 1, code: 'EACCES' }, { pid: 2, code: 'EACCES' }], true)).toBe('2 processes could not be read (EACCES)');
    expect(describeUnreadable([{ pid: 1, code: 'EACCES' }, { pid: 2, code: 'EIO' }], false)).toBe('2 processes could not be read (EACCES, EIO)');
  });
});

describe('ksm watch --json', () => {
  it('one line of JSON: an ISO time, the system figures, the system counters\' change (not ksm\'s own)', () => {
    const delta = { pagesShared: 1, pagesSharing: 2, pagesUnshared: -3, pagesVolatile: 0, fullScans: 1, generalProfit: 8192,
      savedBytes: 8192 };
    const snapshot: KsmSnapshot = { time: Date.UTC(2026, 0, 2, 3, 4, 5, 678), system, process: undefined,
      delta: { ...delta, mergingPages: 5, profitBytes: 6 } };
    const line = snapshotJson(snapshot);
    expect(line).not.toContain('\n');
    expect(JSON.parse(line)).toEqual({ time: '2026-01-02T03:04:05.678Z', system: JSON.parse(JSON.stringify(system)), delta });
  });
});
