import fs from 'node:fs';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  KsmError, ksmd, mergeableFrom, waitForMerge, type KsmdSettings,
} from '../../lib/index.js';
import { runNodeJson } from '../helpers/child.js';
import { KSMD_FILES } from '../../lib/kernel/parse.js';
import { ksmdKey, ksmdUnavailable, readKsmFile, withKsmd } from '../helpers/ksmd.js';
import { KSM_SYSFS } from '../helpers/platform.js';

// The settings this kernel has: smart_scan came in 6.7, the advisor in 6.8 (docs/api.md, SystemStats).
const has = (file: string) => fs.existsSync(`${KSM_SYSFS}/${file}`);
const SETTINGS = ['run', 'pages_to_scan', 'sleep_millisecs', 'max_page_sharing', 'merge_across_nodes', 'use_zero_pages',
  'smart_scan', 'advisor_mode', 'advisor_max_cpu', 'advisor_target_scan_time', 'advisor_min_pages_to_scan',
  'advisor_max_pages_to_scan'].filter(has);
const advisor = has('advisor_mode');
const read = (file: string) => {
  const text = readKsmFile(file);
  return /\[(.+)\]/.exec(text)?.[1] ?? text;
};
const snapshot = () => Object.fromEntries(SETTINGS.map((file) => [file, read(file)]));

describe.skipIf(ksmdUnavailable)(`ksmd control${ksmdUnavailable ? ` (skipped: ${ksmdUnavailable})` : ''}`, () => {
  let before: Record<string, string>;
  beforeAll(() => {
    before = snapshot();
  });
  afterAll(() => {
    // Put back every setting, the advisor first so pages_to_scan is accepted.
    if (advisor) fs.writeFileSync(`${KSM_SYSFS}/advisor_mode`, before.advisor_mode);
    for (const file of SETTINGS) if (read(file) !== before[file]) fs.writeFileSync(`${KSM_SYSFS}/${file}`, before[file]);
    expect(snapshot()).toEqual(before);
  });

  it('settings() reports every tunable file this kernel has, each as the file says, and no other', () => {
    const settings = ksmd.settings() as Record<string, unknown>;
    const tunable = SETTINGS.filter((file) => file !== 'run');
    expect(Object.keys(settings).sort()).toEqual(tunable.map(ksmdKey).sort());
    for (const file of tunable) {
      const text = read(file);
      expect([file, settings[ksmdKey(file)]]).toEqual([file, /^\d+$/.test(text) ? Number(text) : text]);
    }
  });

  it.each([["toString"], ["constructor"], ["__proto__"]])("configure rejects the inherited name %s", (name) => {
    expect(() => ksmd.configure(JSON.parse(`{"${name}": 1}`))).toThrow(expect.objectContaining({ code: "ERR_INVALID_ARG_VALUE" }));
  });

  it('configure() writes each setting and returns the previous values', () => {
    ksmd.unmergeAll(); // max_page_sharing and merge_across_nodes change only with no KSM pages
    const current = ksmd.settings();
    const wanted: Partial<KsmdSettings> = {
      pagesToScan: current.pagesToScan! + 7, sleepMillisecs: current.sleepMillisecs! + 3,
      maxPageSharing: current.maxPageSharing! + 1, mergeAcrossNodes: current.mergeAcrossNodes ? 0 : 1,
      useZeroPages: !current.useZeroPages, smartScan: !current.smartScan, advisorMaxCpu: 55,
      advisorTargetScanTime: 123, advisorMinPagesToScan: 600, advisorMaxPagesToScan: 40_000,
    };
    // Only what this kernel has: asking for the others is ERR_KSM_SETTING_UNAVAILABLE (below).
    const next = Object.fromEntries(Object.entries(wanted).filter(([key]) => key in current)) as Partial<KsmdSettings>;
    const previous = ksmd.configure(next);
    expect(previous).toEqual(Object.fromEntries(Object.keys(next).map((key) => [key, current[key as keyof KsmdSettings]])));
    for (const [key, value] of Object.entries(next)) {
      expect([key, read(KSMD_FILES[key as keyof KsmdSettings])]).toEqual([key, String(Number(value))]);
    }
    for (const key of Object.keys(wanted).filter((key) => !(key in current))) {
      expect(() => ksmd.configure({ [key]: (wanted as Record<string, unknown>)[key] }))
        .toThrow(expect.objectContaining({ code: 'ERR_KSM_SETTING_UNAVAILABLE' }));
    }
    if (!advisor) {
      ksmd.configure(previous);
      expect(ksmd.settings()).toEqual(current);
      return;
    }
    expect(ksmd.configure({ advisorMode: 'scan-time' })).toEqual({ advisorMode: current.advisorMode });
    expect(read('advisor_mode')).toBe('scan-time');
    // Restoring turns the advisor off before pages_to_scan, which the kernel refuses under it.
    ksmd.configure({ ...previous, advisorMode: 'none' });
    expect(ksmd.settings()).toEqual(current);
  });

  it.each([
    [{ pagesToScan: -1 }, RangeError, 'ERR_OUT_OF_RANGE'],
    [{ pagesToScan: 1.5 }, RangeError, 'ERR_OUT_OF_RANGE'],
    [{ sleepMillisecs: 2 ** 32 }, RangeError, 'ERR_OUT_OF_RANGE'],
    [{ maxPageSharing: 1 }, RangeError, 'ERR_OUT_OF_RANGE'],
    [{ useZeroPages: 2 }, RangeError, 'ERR_OUT_OF_RANGE'],
    [{ smartScan: 'yes' }, TypeError, 'ERR_INVALID_ARG_TYPE'],
    [{ advisorMode: 'fast' }, TypeError, 'ERR_INVALID_ARG_VALUE'],
    [{ advisorMaxCpu: 101 }, RangeError, 'ERR_OUT_OF_RANGE'],
    [{ pagesToScan: '100' }, TypeError, 'ERR_INVALID_ARG_TYPE'],
    [{ run: 1 }, TypeError, 'ERR_INVALID_ARG_VALUE'],
    [{ pages_to_scan: 100 }, TypeError, 'ERR_INVALID_ARG_VALUE'],
  ] as const)('configure(%j) throws %o before writing anything', (bad, type, code) => {
    const files = snapshot();
    // A good value beside the bad one: it must not be written either.
    const change = { sleepMillisecs: Number(files.sleep_millisecs) + 1, ...bad };
    expect(() => ksmd.configure(change as never)).toThrow(type);
    expect(() => ksmd.configure(change as never)).toThrow(expect.objectContaining({ code }));
    expect(snapshot()).toEqual(files);
  });

  it('a setting the kernel refuses (EBUSY while pages are merged) undoes the ones written before it', async () => {
    const data = randomBytes(64 * 4096);
    const copies = [mergeableFrom(data), mergeableFrom(data)];
    let error: unknown;
    let files: Record<string, string> = {};
    await withKsmd(async () => {
      await waitForMerge(copies[0], { timeout: 20_000 });
      expect(Number(read('pages_shared'))).toBeGreaterThan(0);
      files = snapshot();
      try {
        ksmd.configure({ pagesToScan: Number(files.pages_to_scan) + 11, maxPageSharing: Number(files.max_page_sharing) + 1 });
      } catch (e) {
        error = e;
      }
      expect(snapshot()).toEqual(files);
    });
    expect(error).toBeInstanceOf(KsmError);
    expect(error).toMatchObject({ code: 'EBUSY', syscall: 'write', path: `${KSM_SYSFS}/max_page_sharing` });
    expect((error as Error).message).toMatch(/unmergeAll/);
  });

  it('start(), stop() and unmergeAll() write run and return its previous value', () => {
    const run = Number(read('run'));
    expect(ksmd.start()).toBe(run);
    expect(read('run')).toBe('1');
    expect(ksmd.stop()).toBe(1);
    expect(read('run')).toBe('0');
    expect(ksmd.unmergeAll()).toBe(0);
    expect(read('run')).toBe('2');
  });
});

describe.skipIf(ksmdUnavailable)('without privileges', () => {
  it('inspect() gives merged: undefined with marked still true; ksmd.start() throws KsmError', () => {
    const report = runNodeJson<{ state: Record<string, unknown>; start: Record<string, unknown> }>(`
      const ksm = require('node-ksm');
      const buffer = ksm.allocMergeable(64 * 4096, 1);
      let start;
      try { ksm.ksmd.start(); start = { ok: true }; } catch (e) {
        start = { name: e.name, code: e.code, isKsmError: e instanceof ksm.KsmError, message: e.message }; }
      console.log(JSON.stringify({ state: ksm.inspect(buffer), start }));`, { uid: 65534, gid: 65534 });
    expect(report.state).toEqual({ pages: 64, present: 64, marked: true });
    expect(report.start).toMatchObject({ name: 'KsmError', code: 'EACCES', isKsmError: true });
    expect(report.start.message).toMatch(/controlling ksmd needs root/);
  });
});

describe.skipIf(ksmdUnavailable)('ksmd.override', () => {
  it('applies settings and run, and its restore puts back exactly what was there, once', () => {
    const files = snapshot();
    const restore = ksmd.override({ run: 1, pagesToScan: 4321, sleepMillisecs: 7 });
    try {
      expect([read('run'), read('pages_to_scan'), read('sleep_millisecs')]).toEqual(['1', '4321', '7']);
    } finally {
      restore();
    }
    expect(snapshot()).toEqual(files);
    ksmd.configure({ pagesToScan: 99 });
    restore(); // a second call changes nothing
    expect(read('pages_to_scan')).toBe('99');
    ksmd.configure({ pagesToScan: Number(files.pages_to_scan) });
    expect(() => ksmd.override({ run: 3 as never })).toThrow(expect.objectContaining({ code: 'ERR_OUT_OF_RANGE' }));
    for (const changes of [undefined, null, 5]) {
      expect(() => ksmd.override(changes as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    }
    expect(snapshot()).toEqual(files);
  });

  it('a restore() the kernel refuses (EBUSY while pages are merged) is not done: once unmerged, calling it again restores',
    async () => {
      const files = snapshot();
      ksmd.unmergeAll(); // max_page_sharing changes only while no page is merged
      const restore = ksmd.override({ maxPageSharing: Number(files.max_page_sharing) + 1 });
      const data = randomBytes(64 * 4096);
      const copies = [mergeableFrom(data), mergeableFrom(data)];
      let error: unknown;
      try {
        await withKsmd(async () => {
          await waitForMerge(copies[0], { timeout: 20_000 });
          expect(Number(read('pages_shared'))).toBeGreaterThan(0);
          try {
            restore();
          } catch (e) {
            error = e;
          }
          expect(read('max_page_sharing')).toBe(String(Number(files.max_page_sharing) + 1));
        });
        expect(error).toMatchObject({ code: 'EBUSY', path: `${KSM_SYSFS}/max_page_sharing` });
        ksmd.unmergeAll();
        restore(); // the retry: the earlier failure did not mark it done
        expect(read('max_page_sharing')).toBe(files.max_page_sharing);
        ksmd.configure({ pagesToScan: Number(files.pages_to_scan) + 1 });
        restore(); // done now: changes nothing
        expect(read('pages_to_scan')).toBe(String(Number(files.pages_to_scan) + 1));
      } finally {
        // Whatever happened above: unmerge so that max_page_sharing can go back, then the rest.
        if (read('max_page_sharing') !== files.max_page_sharing) {
          fs.writeFileSync(`${KSM_SYSFS}/run`, '2');
          fs.writeFileSync(`${KSM_SYSFS}/max_page_sharing`, files.max_page_sharing);
        }
        fs.writeFileSync(`${KSM_SYSFS}/pages_to_scan`, files.pages_to_scan);
        fs.writeFileSync(`${KSM_SYSFS}/run`, files.run);
      }
      expect(copies[1].length).toBe(data.length); // the copies stayed alive through the wait
      expect(snapshot()).toEqual(files);
    });
});
