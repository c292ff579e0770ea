// ERR_FS_FILE_TOO_LARGE for files whose size is unknown until their end (/proc, /sys, size 0),
// which are read in chunks: past buffer.constants.MAX_LENGTH the read stops with Node's error
// instead of growing. MAX_LENGTH (4 GiB or more) is lowered for this file only, so that a
// /proc file larger than it stands for one that grows while being read.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { readFileMergeable, readFileMergeableAsync } from '../../lib/index.js';
import { linux } from '../helpers/platform.js';

const LIMIT = 4096;

vi.mock('node:buffer', async (importOriginal) => {
  const buffer = await importOriginal<typeof import('node:buffer')>();
  return { ...buffer, constants: { ...buffer.constants, MAX_LENGTH: 4096 } };
});

const forms = [['sync', readFileMergeable], ['async', readFileMergeableAsync]] as const;
const openFds = () => fs.readdirSync('/proc/self/fd').length;

describe.skipIf(!linux)(`with buffer.constants.MAX_LENGTH at ${LIMIT}`, () => {
  it.each(forms)('%s: a size-0 file that reads longer than MAX_LENGTH throws ERR_FS_FILE_TOO_LARGE, closing the file', async (_how, read) => {
    // smaps runs to several pages: more than LIMIT bytes, behind a size of 0.
    expect(fs.statSync('/proc/self/smaps').size).toBe(0);
    expect(fs.readFileSync('/proc/self/smaps').length).toBeGreaterThan(LIMIT);
    const before = openFds();
    const error = await Promise.resolve().then(() => read('/proc/self/smaps')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RangeError);
    expect(error).toMatchObject({ code: 'ERR_FS_FILE_TOO_LARGE', message: expect.stringContaining(`greater than ${LIMIT} bytes`) });
    expect(openFds()).toBe(before);
  });

  it.each(forms)('%s: a regular file larger than MAX_LENGTH throws ERR_FS_FILE_TOO_LARGE before reading', async (_how, read) => {
    // A hole of 1 TiB: no disk, and a read of it would not end within the test's time. (The
    // real MAX_LENGTH is 2^53 - 1 from Node 22, larger than any file system's largest file.)
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'node-ksm-limit-'));
    const sparse = path.join(dir, 'sparse');
    fs.writeFileSync(sparse, '');
    fs.truncateSync(sparse, 2 ** 40);
    const before = openFds();
    const error = await Promise.resolve().then(() => read(sparse)).catch((e: unknown) => e);
    fs.rmSync(dir, { recursive: true });
    expect(error).toBeInstanceOf(RangeError);
    expect(error).toMatchObject({ code: 'ERR_FS_FILE_TOO_LARGE', message: `File size (${2 ** 40}) is greater than ${LIMIT} bytes` });
    expect(openFds()).toBe(before);
  });

  it.each(forms)('%s: a size-0 file within MAX_LENGTH still reads whole', async (_how, read) => {
    const data = await read('/proc/self/stat');
    expect(data.length).toBeLessThanOrEqual(LIMIT);
    expect(data.toString()).toMatch(/^\d+ \(/);
  });
});
