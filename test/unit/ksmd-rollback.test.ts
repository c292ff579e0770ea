// ksmd.configure() and ksmd.override() when writes fail, against a fake /sys/kernel/mm/ksm (the
// module's file seam, lib/kernel/ksmd-files.ts): a refused write is put back, a failed put-back
// is never swallowed, and override()'s restore is done only once it has succeeded.
import os from 'node:os';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { KsmError, ksmd, type KsmdRollbackFailure } from '../../lib/index.js';
import { main } from '../../lib/cli/main.js';
import { settingFromText } from '../../lib/ksmd.js';
import { KSMD_FILES } from '../../lib/kernel/parse.js';
import type { KsmdValues } from '../../lib/types.js';

type Key = keyof KsmdValues;

const fake = vi.hoisted(() => ({
  files: new Map<string, string>(),
  /** Writes the fake refuses: key -> errno name, whatever the value. */
  refuse: new Map<string, string>(),
  /** Settings the fake refuses to change again once written (the put-back fails): key -> errno name. */
  refuseOnceWritten: new Map<string, string>(),
  writes: [] as [string, string][],
}));

/** The KsmError node:fs gives for a refused sysfs write, as lib/kernel/files.ts turns it. */
function writeError(key: Key, code: string): KsmError {
  const path = `/sys/kernel/mm/ksm/${KSMD_FILES[key]}`;
  const errno = os.constants.errno[code as keyof typeof os.constants.errno];
  return new KsmError(`${code}: refused, write '${path}'`, { code: code as 'EBUSY', errno: -errno, syscall: 'write', path });
}

vi.mock('../../lib/kernel/ksmd-files.js', async (importOriginal) => ({
  ...(await importOriginal<typeof import('../../lib/kernel/ksmd-files.js')>()),
  readKsmdValue: (key: Key) => {
    const text = fake.files.get(key);
    return text === undefined ? undefined : /^\d+$/.test(text) ? Number(text) : text;
  },
  writeKsmdValue: (key: Key, value: string) => {
    const code = fake.refuse.get(key);
    if (code) throw writeError(key, code);
    fake.writes.push([key, value]);
    fake.files.set(key, value);
    const then = fake.refuseOnceWritten.get(key);
    if (then) fake.refuse.set(key, then);
  },
}));
vi.mock('../../lib/kernel/platform.js', async (importOriginal) => ({
  ...(await importOriginal<typeof import('../../lib/kernel/platform.js')>()),
  requireLinux: () => {},
}));

const INITIAL = { run: '0', pagesToScan: '100', sleepMillisecs: '20', maxPageSharing: '256', useZeroPages: '0' };
const state = () => Object.fromEntries(fake.files);

beforeEach(() => {
  fake.files = new Map(Object.entries(INITIAL));
  fake.refuse.clear();
  fake.refuseOnceWritten.clear();
  fake.writes = [];
});

function thrown(call: () => unknown): KsmError {
  try {
    call();
  } catch (error) {
    return error as KsmError;
  }
  throw new Error('did not throw');
}

describe('ksmd.configure() when a write fails', () => {
  it('puts back what it wrote and throws the first error, unchanged, when the put-back works', () => {
    fake.refuse.set('maxPageSharing', 'EBUSY');
    const error = thrown(() => ksmd.configure({ pagesToScan: 5000, sleepMillisecs: 10, maxPageSharing: 300 }));
    expect(error).toBeInstanceOf(KsmError);
    expect(error).toMatchObject({ code: 'EBUSY', syscall: 'write', path: '/sys/kernel/mm/ksm/max_page_sharing' });
    expect(Object.hasOwn(error, 'rollbackFailures')).toBe(false);
    expect(state()).toEqual(INITIAL);
  });

  it('when putting one back fails too, says which setting stayed at which value and why, and still puts back the others', () => {
    fake.refuse.set('maxPageSharing', 'EBUSY');
    fake.refuseOnceWritten.set('pagesToScan', 'EACCES');
    const error = thrown(() => ksmd.configure({ sleepMillisecs: 10, pagesToScan: 5000, maxPageSharing: 300 }));
    expect(error).toBeInstanceOf(KsmError);
    // The original failure: its code, errno, syscall and path.
    expect(error).toMatchObject({ name: 'KsmError', code: 'EBUSY', errno: -os.constants.errno.EBUSY, syscall: 'write',
      path: '/sys/kernel/mm/ksm/max_page_sharing' });
    expect(error.message).toMatch(/^EBUSY: refused, write '\/sys\/kernel\/mm\/ksm\/max_page_sharing'/);
    expect(error.message).toContain('pagesToScan stayed 5000 instead of 100');
    expect(error.message).toContain("EACCES: refused, write '/sys/kernel/mm/ksm/pages_to_scan'");
    const failures = error.rollbackFailures as readonly KsmdRollbackFailure[];
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({ setting: 'pagesToScan', value: 5000, previous: 100 });
    expect(failures[0].error).toBeInstanceOf(KsmError);
    expect(failures[0].error).toMatchObject({ code: 'EACCES', path: '/sys/kernel/mm/ksm/pages_to_scan' });
    // The others were put back all the same; the one that failed is what the error says.
    expect(state()).toEqual({ ...INITIAL, pagesToScan: '5000' });
    expect(fake.writes).toContainEqual(['sleepMillisecs', '20']);
  });

  it('names every setting left changed', () => {
    fake.refuse.set('maxPageSharing', 'EBUSY');
    // Everything written goes read-only after (sysfs remounted mid-way, say).
    for (const key of ['sleepMillisecs', 'pagesToScan', 'useZeroPages']) fake.refuseOnceWritten.set(key, 'EROFS');
    const error = thrown(() => ksmd.configure({ sleepMillisecs: 10, pagesToScan: 5000, useZeroPages: true, maxPageSharing: 300 }));
    expect(error.code).toBe('EBUSY');
    expect(error.rollbackFailures?.map(({ setting, value, previous }) => [setting, value, previous])).toEqual([
      ['useZeroPages', 1, 0], ['pagesToScan', 5000, 100], ['sleepMillisecs', 10, 20],
    ]);
    for (const name of ['useZeroPages stayed 1 instead of 0', 'pagesToScan stayed 5000 instead of 100',
      'sleepMillisecs stayed 10 instead of 20']) expect(error.message).toContain(name);
  });
});

describe('ksmd.override()', () => {
  it.each([[undefined], [null], [5], ['run=1'], [[{ run: 1 }]]])('refuses %j with ERR_INVALID_ARG_TYPE, writing nothing', (changes) => {
    const error = thrown(() => ksmd.override(changes as never));
    expect(error).toBeInstanceOf(TypeError);
    expect(error).toMatchObject({ code: 'ERR_INVALID_ARG_TYPE', message: expect.stringMatching(/^The "changes" argument must be of type object/) });
    expect(fake.writes).toEqual([]);
  });

  it('configure() refuses a missing or null argument the same way', () => {
    for (const changes of [undefined, null]) {
      expect(thrown(() => ksmd.configure(changes as never))).toMatchObject({ code: 'ERR_INVALID_ARG_TYPE' });
    }
    expect(fake.writes).toEqual([]);
  });

  it('when writing run fails, puts the settings back, and says so when that fails too', () => {
    fake.refuse.set('run', 'EACCES');
    const error = thrown(() => ksmd.override({ run: 1, pagesToScan: 5000 }));
    expect(error).toMatchObject({ code: 'EACCES', path: '/sys/kernel/mm/ksm/run' });
    expect(Object.hasOwn(error, 'rollbackFailures')).toBe(false);
    expect(state()).toEqual(INITIAL);

    fake.refuseOnceWritten.set('pagesToScan', 'EROFS');
    const both = thrown(() => ksmd.override({ run: 1, pagesToScan: 5000 }));
    expect(both).toMatchObject({ code: 'EACCES', path: '/sys/kernel/mm/ksm/run' });
    expect(both.rollbackFailures?.map(({ setting, value, previous }) => [setting, value, previous])).toEqual([['pagesToScan', 5000, 100]]);
    expect(both.message).toContain('pagesToScan stayed 5000 instead of 100');
  });

  it('restore() that fails is not done: calling it again retries, and once it succeeded it does nothing', () => {
    const restore = ksmd.override({ run: 1, pagesToScan: 5000, maxPageSharing: 300 });
    expect(state()).toEqual({ ...INITIAL, run: '1', pagesToScan: '5000', maxPageSharing: '300' });
    fake.refuse.set('maxPageSharing', 'EBUSY'); // pages got merged meanwhile
    expect(thrown(restore)).toMatchObject({ code: 'EBUSY', path: '/sys/kernel/mm/ksm/max_page_sharing' });
    // run went back first; the settings, all or none, stay as override() set them.
    expect(state()).toEqual({ ...INITIAL, pagesToScan: '5000', maxPageSharing: '300' });
    fake.refuse.clear(); // unmerged
    fake.writes = [];
    restore();
    expect(state()).toEqual(INITIAL);
    expect(fake.writes.map(([key]) => key)).not.toContain('run'); // already put back: not written again
    fake.writes = [];
    restore();
    expect(fake.writes).toEqual([]);
  });

  it('restore() after a first attempt that failed on run writes run again', () => {
    const restore = ksmd.override({ run: 1, pagesToScan: 5000 });
    fake.refuse.set('run', 'EACCES');
    expect(thrown(restore)).toMatchObject({ code: 'EACCES' });
    expect(state()).toMatchObject({ run: '1', pagesToScan: '5000' });
    fake.refuse.clear();
    restore();
    expect(state()).toEqual(INITIAL);
  });
});

describe('setting names from text (the CLI\'s KEY=VALUE)', () => {
  it.each([
    ['pages_to_scan', '5000', ['pagesToScan', 5000]],
    ['pagesToScan', '5000', ['pagesToScan', 5000]],
    ['use_zero_pages', 'true', ['useZeroPages', true]],
    ['advisor_mode', 'scan-time', ['advisorMode', 'scan-time']],
  ])('%s=%s is %j', (name, text, expected) => {
    expect(settingFromText(name, text)).toEqual(expected);
  });

  it.each(['____proto____', '__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', 'run', 'pages_shared',
    'pagesShared', 'PAGES_TO_SCAN', 'pages-to-scan', ''])('%j is refused as configure() refuses an unknown setting', (name) => {
    const error = thrown(() => settingFromText(name, '5'));
    expect(error).toBeInstanceOf(TypeError);
    expect(error).toMatchObject({ code: 'ERR_INVALID_ARG_VALUE', message: expect.stringMatching(`^Unknown ksmd setting "${name}"`) });
  });

  it.each(['__proto__', 'constructor', 'toString', 'hasOwnProperty'])(
    'configure() refuses the inherited name %s as an own key, writing nothing', (name) => {
      const error = thrown(() => ksmd.configure(JSON.parse(`{"${name}": 5}`)));
      expect(error).toMatchObject({ code: 'ERR_INVALID_ARG_VALUE', message: expect.stringMatching(`^Unknown ksmd setting "${name}"`) });
      expect(fake.writes).toEqual([]);
    });
});

describe('`ksm ksmd set` with a name that is no setting', () => {
  it.each(['____proto____=5', '__proto__=5', 'constructor=5', 'toString=5', 'pages_shared=5'])(
    '%s exits 1, says the setting is unknown, and writes nothing', async (pair) => {
      const printed = { out: '', err: '' };
      const stream = (key: 'out' | 'err') => ({ write: (text: string) => { printed[key] += text; return true; } }) as never;
      expect(await main(['ksmd', 'set', 'pages_to_scan=7', pair], { out: stream('out'), err: stream('err') })).toBe(1);
      expect(printed.err).toMatch(/^ksm: Unknown ksmd setting "/);
      expect(printed.out).toBe('');
      expect(fake.writes).toEqual([]);
    });
});
