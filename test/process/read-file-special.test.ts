// readFileMergeable(Async) on files that are not regular (devices, FIFOs) fails fast instead of
// growing without end or blocking in open(); /proc and /sys files (regular, size 0) still read;
// readFileMergeableAsync's AbortSignal behaves as fs.promises.readFile's, and no path leaks a fd.
import { execFileSync, spawnSync } from 'node:child_process';
import { constants as bufferConstants } from 'node:buffer';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { KsmError, readFileMergeable, readFileMergeableAsync } from '../../lib/index.js';
import { packageRoot } from '../helpers/child.js';
import { linux } from '../helpers/platform.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'node-ksm-special-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const openFds = () => fs.readdirSync('/proc/self/fd').length;

/** A FIFO nobody writes to: a plain open() for reading would wait for a writer for ever. */
function makeFifo(): string {
  const fifo = path.join(dir, `fifo-${Math.random().toString(36).slice(2)}`);
  execFileSync('mkfifo', [fifo]);
  return fifo;
}

const forms = [['sync', readFileMergeable], ['async', readFileMergeableAsync]] as const;

describe.skipIf(!linux)('files that are not regular files', () => {
  it.each(forms)('%s: /dev/zero (a character device that never ends) fails at once with ERR_KSM_NOT_REGULAR_FILE', async (_how, read) => {
    const before = openFds();
    const started = performance.now();
    const error = await Promise.resolve().then(() => read('/dev/zero')).catch((e: unknown) => e);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(error).toBeInstanceOf(KsmError);
    expect(error).toMatchObject({ code: 'ERR_KSM_NOT_REGULAR_FILE', path: '/dev/zero', errno: undefined, syscall: undefined });
    expect((error as Error).message).toMatch(/'\/dev\/zero' is a character device/);
    expect(openFds()).toBe(before);
  });

  it('async: a FIFO with no writer fails at once, without blocking in open()', async () => {
    const fifo = makeFifo();
    const before = openFds();
    // open() without O_NONBLOCK blocks a thread-pool thread for ever: bound the wait.
    const error = await Promise.race([
      readFileMergeableAsync(fifo).catch((e: unknown) => e),
      new Promise((resolve) => setTimeout(resolve, 3000, 'still blocked')),
    ]);
    expect(error).toBeInstanceOf(KsmError);
    expect(error).toMatchObject({ code: 'ERR_KSM_NOT_REGULAR_FILE', path: fifo });
    expect((error as Error).message).toMatch(/is a FIFO/);
    expect(openFds()).toBe(before);
  });

  it('sync: a FIFO with no writer fails at once (in a child, whose blocked open() could not be interrupted)', () => {
    const fifo = makeFifo();
    const result = spawnSync(process.execPath, ['-e', `
      const fs = require('node:fs');
      const ksm = require('node-ksm');
      const count = () => fs.readdirSync('/proc/self/fd').length;
      const before = count();
      try { ksm.readFileMergeable(${JSON.stringify(fifo)}); console.log(JSON.stringify({ read: true })); }
      catch (e) { console.log(JSON.stringify({ code: e.code, path: e.path, ksm: e instanceof ksm.KsmError, leaked: count() - before })); }`],
    { cwd: packageRoot, encoding: 'utf8', timeout: 10_000 });
    expect(result.signal).toBeNull(); // SIGTERM: still blocked in open() after 10 s
    expect(JSON.parse(result.stdout.trim())).toEqual({ code: 'ERR_KSM_NOT_REGULAR_FILE', path: fifo, ksm: true, leaked: 0 });
  });

  it.each(forms)('%s: /proc and /sys files, regular files of size 0, still read to their end', async (_how, read) => {
    expect(fs.statSync('/proc/self/status').size).toBe(0);
    expect((await read('/proc/self/status')).toString()).toMatch(/^Name:/m);
    // /proc/self/smaps is read in several chunks: its end must be there.
    const smaps = (await read('/proc/self/smaps')).toString('latin1');
    expect(smaps).toMatch(/VmFlags:[^\n]*\n$/);
    const sysfs = ['/sys/kernel/mm/ksm/run', '/sys/kernel/mm/transparent_hugepage/enabled', '/sys/kernel/mm/ksm/pages_to_scan']
      .find((file) => fs.existsSync(file));
    if (sysfs) expect((await read(sysfs)).toString()).toBe(fs.readFileSync(sysfs, 'utf8'));
  });

  it.each(forms)('%s: a directory fails as fs fails it (EISDIR)', async (_how, read) => {
    const error = await Promise.resolve().then(() => read(dir)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KsmError);
    expect(error).toMatchObject({ code: 'EISDIR' });
  });
});

describe.skipIf(!linux)('readFileMergeableAsync with an AbortSignal', () => {
  const file = path.join(dir, 'data.bin');
  const content = Buffer.alloc(3 * 1024 * 1024 + 123, 'abort me ');
  fs.writeFileSync(file, content);

  /** What fs.promises.readFile rejects with for the same signal, to compare shapes. */
  async function nodeAbortError(reason: unknown) {
    const error = await fs.promises.readFile(file, { signal: AbortSignal.abort(reason) }).catch((e: Error) => e);
    return error as Error & { code: string };
  }

  const shape = (error: Error & { code?: string }) => ({ name: error.name, code: error.code, message: error.message,
    keys: Object.keys(error), isError: error instanceof Error, cause: error.cause });

  it('reads with a signal that never aborts, in chunks, to the same bytes', async () => {
    const data = await readFileMergeableAsync(file, { signal: new AbortController().signal });
    expect(data.equals(content)).toBe(true);
  });

  it('already aborted: rejects as fs.promises.readFile does (AbortError, cause the reason), opening nothing', async () => {
    const reason = new Error('not wanted any more');
    const before = openFds();
    const error = await readFileMergeableAsync(file, { signal: AbortSignal.abort(reason) }).catch((e: Error) => e);
    expect(shape(error as Error)).toEqual(shape(await nodeAbortError(reason)));
    expect((error as Error).cause).toBe(reason);
    expect((error as { code?: string }).code).toBe('ABORT_ERR');
    expect(openFds()).toBe(before);
  });

  it('abort() with no reason: the cause is the signal\'s own DOMException, as Node gives', async () => {
    const controller = new AbortController();
    controller.abort();
    const error = await readFileMergeableAsync(file, { signal: controller.signal }).catch((e: Error) => e);
    expect(error).toMatchObject({ name: 'AbortError', code: 'ABORT_ERR' });
    expect((error as Error).cause).toBe(controller.signal.reason);
  });

  it.each([
    ['a regular file', () => file],
    ['a /proc file of size 0', () => '/proc/self/smaps'],
  ])('aborted mid-read (%s): rejects with the AbortError and closes the file', async (_what, target) => {
    const controller = new AbortController();
    const reason = new Error('stop');
    // Abort from inside the first read, so the abort lands while a read is under way.
    const probe = await fs.promises.open(file, 'r');
    const FileHandle = Object.getPrototypeOf(probe) as { read: (...args: unknown[]) => Promise<unknown> };
    await probe.close();
    const original = FileHandle.read;
    const read = vi.spyOn(FileHandle, 'read').mockImplementationOnce(function (this: unknown, ...args: unknown[]) {
      controller.abort(reason);
      return Reflect.apply(original, this, args) as Promise<unknown>;
    });
    try {
      const before = openFds();
      const error = await readFileMergeableAsync(target(), { signal: controller.signal }).catch((e: Error) => e);
      expect(read).toHaveBeenCalled();
      expect(error).toMatchObject({ name: 'AbortError', code: 'ABORT_ERR' });
      expect((error as Error).cause).toBe(reason);
      expect(openFds()).toBe(before);
    } finally {
      read.mockRestore();
    }
  });

  it.each([
    [5, /"options" argument must be of type object/],
    [null, /"options" argument must be of type object/],
    [{ signal: 5 }, /"signal" argument must be an instance of AbortSignal/],
    [{ signal: {} }, /"signal" argument must be an instance of AbortSignal/],
  ])('options %j: ERR_INVALID_ARG_TYPE', async (options, message) => {
    const error = await readFileMergeableAsync(file, options as never).catch((e: Error) => e);
    expect(error).toBeInstanceOf(TypeError);
    expect(error).toMatchObject({ code: 'ERR_INVALID_ARG_TYPE', message: expect.stringMatching(message) });
  });
});

describe.skipIf(!linux)('options.maxBytes bounds what a read may return', () => {
  const limit = 1024 * 1024;

  it.each(forms)('%s: /proc/self/pagemap, a size-0 file that does not end for 4 GiB and more, fails at the bound, at once', async (_how, read) => {
    const before = openFds();
    const started = performance.now();
    const error = await Promise.resolve().then(() => read('/proc/self/pagemap', { maxBytes: limit })).catch((e: unknown) => e);
    expect(performance.now() - started).toBeLessThan(2000); // unbounded, the read took 9 s and 4 GiB
    expect(error).toBeInstanceOf(RangeError);
    expect(error).toMatchObject({ code: 'ERR_FS_FILE_TOO_LARGE', message: `File size (more than ${limit}) is greater than ${limit} bytes` });
    expect(openFds()).toBe(before);
  });

  it.each(forms)('%s: a regular file of known size past the bound fails before it is read; at the bound it is read whole', async (_how, read) => {
    const file = path.join(dir, 'ten-bytes');
    fs.writeFileSync(file, '0123456789');
    await expect(Promise.resolve().then(() => read(file, { maxBytes: 9 })))
      .rejects.toMatchObject({ code: 'ERR_FS_FILE_TOO_LARGE', message: 'File size (10) is greater than 9 bytes' });
    expect((await read(file, { maxBytes: 10 })).toString()).toBe('0123456789');
    expect((await read(file, {})).toString()).toBe('0123456789');
    // A size-0 file within the bound reads whole.
    const status = (await read('/proc/self/status', { maxBytes: limit })).toString();
    expect(status).toMatch(/^Name:/);
  });

  it.each(forms)('%s: a bound that is not a whole number from 0 to buffer.constants.MAX_LENGTH is refused before the file is opened', async (_how, read) => {
    const before = openFds();
    for (const [maxBytes, code] of [[-1, 'ERR_OUT_OF_RANGE'], [1.5, 'ERR_OUT_OF_RANGE'], [bufferConstants.MAX_LENGTH + 1, 'ERR_OUT_OF_RANGE'],
      ['1', 'ERR_INVALID_ARG_TYPE'], [null, 'ERR_INVALID_ARG_TYPE']] as const) {
      await expect(Promise.resolve().then(() => read('/proc/self/status', { maxBytes } as never))).rejects.toMatchObject({ code });
    }
    expect(openFds()).toBe(before);
  });
});
