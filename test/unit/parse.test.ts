import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  isRangeFlagged, KSMD_FILES, lastSmapsMappingStart, parseKsmStat, parseMergingPages, parseSysfsValue, parseVmstatKsm,
} from '../../lib/kernel/parse.js';
import { fixture } from '../helpers/paths.js';

const readFixture = (name: string) => fs.readFileSync(fixture(name), 'latin1');

describe('parseKsmStat: /proc/<pid>/ksm_stat across kernel versions', () => {
  it('5.19: only ksm_merging_pages, in a file of its own', () => {
    expect(parseMergingPages(readFixture('ksm_merging_pages-5.19'))).toEqual({
      mergingPages: 12345, rmapItems: undefined, zeroPages: undefined, profitBytes: undefined,
      mergeAny: undefined, mergeable: undefined,
    });
  });

  it('6.1: ksm_rmap_items alone', () => {
    expect(parseKsmStat(readFixture('ksm_stat-6.1'))).toEqual({
      mergingPages: undefined, rmapItems: 4096, zeroPages: undefined, profitBytes: undefined,
      mergeAny: undefined, mergeable: undefined,
    });
  });

  it('6.4: merging pages and process profit', () => {
    expect(parseKsmStat(readFixture('ksm_stat-6.4'))).toEqual({
      mergingPages: 4000, rmapItems: 8192, zeroPages: undefined, profitBytes: 15859712,
      mergeAny: undefined, mergeable: undefined,
    });
  });

  it('6.7: zero pages, and a negative profit', () => {
    expect(parseKsmStat(readFixture('ksm_stat-6.7'))).toEqual({
      mergingPages: 4000, rmapItems: 8192, zeroPages: 12, profitBytes: -524288,
      mergeAny: undefined, mergeable: undefined,
    });
  });

  it('current: six lines, the last two in `name: value` form', () => {
    expect(parseKsmStat(readFixture('ksm_stat-6.18'))).toEqual({
      mergingPages: 16384, rmapItems: 16384, zeroPages: 0, profitBytes: 66060288,
      mergeAny: false, mergeable: true,
    });
    expect(parseKsmStat('ksm_merge_any: yes\nksm_mergeable: no\n')).toMatchObject({ mergeAny: true, mergeable: false });
  });

  it('ignores lines a newer kernel may add, and blank or malformed ones', () => {
    expect(parseKsmStat('ksm_rmap_items 1\nksm_future_thing 7\n\ngarbage\nksm_merging_pages x\n')).toEqual({
      mergingPages: undefined, rmapItems: 1, zeroPages: undefined, profitBytes: undefined,
      mergeAny: undefined, mergeable: undefined,
    });
  });
});

describe('parseSysfsValue', () => {
  it.each([
    ['100\n', 100], ['0\n', 0], ['-12288\n', -12288], ['[none] scan-time\n', 'none'],
    ['none [scan-time]\n', 'scan-time'], ['\n', undefined], ['abc\n', undefined],
  ])('%j -> %j', (text, value) => {
    expect(parseSysfsValue(text)).toBe(value);
  });
});

describe('parseVmstatKsm', () => {
  it('reads cow_ksm and ksm_swpin_copy, undefined where absent', () => {
    expect(parseVmstatKsm('nr_free_pages 10\ncow_ksm 5\nksm_swpin_copy 2\nthp_fault_alloc 1\n'))
      .toEqual({ cowKsm: 5, ksmSwpinCopy: 2 });
    expect(parseVmstatKsm('nr_free_pages 10\n')).toEqual({ cowKsm: undefined, ksmSwpinCopy: undefined });
  });
});

describe('smaps: whether a range lies in mappings with a VmFlag', () => {
  const smaps = readFixture('smaps-sample');
  const base = 0x7f0000000000;
  const page = 4096;

  it('is true across adjacent flagged mappings', () => {
    expect(isRangeFlagged(smaps, base, base + 8 * page, 'mg')).toBe(true);
    expect(isRangeFlagged(smaps, base + page, base + 2 * page, 'mg')).toBe(true);
  });

  it('is false when any page is in an unflagged mapping, a hole, or outside every mapping', () => {
    expect(isRangeFlagged(smaps, base + 7 * page, base + 9 * page, 'mg')).toBe(false);
    expect(isRangeFlagged(smaps, base + 10 * page, base + 11 * page, 'mg')).toBe(true);
    expect(isRangeFlagged(smaps, base + 9 * page, base + 11 * page, 'mg')).toBe(false); // hole at 9
    expect(isRangeFlagged(smaps, base + 11 * page, base + 13 * page, 'mg')).toBe(false); // past the end
    expect(isRangeFlagged(smaps, 0x1000, 0x2000, 'mg')).toBe(false);
  });

  it('is false for an empty range, and for a flag no mapping has', () => {
    expect(isRangeFlagged(smaps, base, base, 'mg')).toBe(false);
    expect(isRangeFlagged(smaps, base, base + page, 'zz')).toBe(false);
  });

  it('finds the last mapping start read so far', () => {
    expect(lastSmapsMappingStart(smaps)).toBe(parseInt('ffffffffff600000', 16));
    expect(lastSmapsMappingStart(smaps.slice(0, 200))).toBe(parseInt('7f0000000000', 16));
    expect(lastSmapsMappingStart('')).toBe(-1);
  });
});

describe('KSMD_FILES: the one table of ksmd file names', () => {
  it('names each file as its key in snake_case, and nothing else', () => {
    for (const [key, file] of Object.entries(KSMD_FILES)) {
      expect(file).toBe(key.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`));
    }
    expect(Object.keys(KSMD_FILES)).toHaveLength(24);
  });
});

describe('what the parsers refuse: values that are not a whole number, lines without a value', () => {
  it('ksm_stat: a value with other characters, or none, reads as undefined; surrounding spaces do not matter', () => {
    expect(parseKsmStat('ksm_rmap_items 12abc\nksm_zero_pages x12\nksm_merging_pages\nksm_process_profit  -5  \n'))
      .toMatchObject({ rmapItems: undefined, zeroPages: undefined, mergingPages: undefined, profitBytes: -5 });
    expect(parseKsmStat(' ksm_rmap_items 5')).toMatchObject({ rmapItems: undefined });
  });

  it('sysfs: only a whole number, or a [selected] word', () => {
    expect(parseSysfsValue('12abc\n')).toBeUndefined();
    expect(parseSysfsValue('abc 12')).toBeUndefined();
    expect(parseSysfsValue(' 42 \n')).toBe(42);
  });
});

describe('smaps edges', () => {
  const page = 4096;
  const mapping = (start: number, pages: number, flags: string) =>
    `${start.toString(16)}-${(start + pages * page).toString(16)} rw-p 00000000 00:00 0\nSize: 4 kB\nVmFlags: ${flags}\n`;
  const base = 0x7f0000000000;

  it('a range that starts where an unflagged mapping ends and a flagged one begins is flagged', () => {
    const smaps = mapping(base, 2, 'rd wr') + mapping(base + 2 * page, 2, 'rd wr mg');
    expect(isRangeFlagged(smaps, base + 2 * page, base + 4 * page, 'mg')).toBe(true);
  });

  it('a range running past the last mapping is not flagged (and reading it does not throw)', () => {
    const smaps = mapping(base, 2, 'rd wr mg');
    expect(isRangeFlagged(smaps, base, base + 3 * page, 'mg')).toBe(false);
  });
});

