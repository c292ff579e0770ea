// The allocator where operator new fails (a process out of memory, or at its mapping limit,
// where malloc cannot map more): an allocation whose record cannot be stored is refused with
// ENOMEM, and nothing V8's deleter runs later may throw. test/faults/fail-new.cc makes the
// addon's own operator new calls fail on request.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { packageRoot, runNode } from '../helpers/child.js';
import { underSanitizer } from '../helpers/proc.js';
import { linux } from '../helpers/platform.js';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'node-ksm-faults-'));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

const shim = path.join(work, 'fail-new.so');
const compiled = linux
  ? spawnSync('c++', ['-shared', '-fPIC', '-O2', '-o', shim, path.join(packageRoot, 'test', 'faults', 'fail-new.cc'), '-ldl'], { encoding: 'utf8' })
  : undefined;
const cannot = !linux ? 'not Linux'
  : underSanitizer('AddressSanitizer replaces operator new and must come first in LD_PRELOAD')
    ?? (compiled?.status !== 0 ? `no C++ compiler to build the fault shim (${compiled?.error?.message ?? compiled?.stderr.trim()})` : undefined);

describe('out of memory in the allocator', () => {
  it.skipIf(cannot !== undefined)(`a Buffer of its own mapping whose record cannot be stored: KsmError ENOMEM, nothing held, and no abort when Buffers are freed later${
    cannot ? ` (skipped: ${cannot})` : ''}`, () => {
    const result = runNode('', { args: ['--expose-gc', path.join(packageRoot, 'test', 'fixtures', 'alloc-record-fails.cjs')], env: { LD_PRELOAD: shim } });
    // Before: the allocation succeeded unrecorded, and freeing it aborted in V8's deleter
    // (std::out_of_range from map::at, exit 134).
    expect(result.stderr).not.toMatch(/terminate called/);
    expect([result.status, result.signal]).toEqual([0, null]);
    const nothing = { arenas: 0, liveBlocks: 0, liveBytes: 0, keptBytes: 0, unmarkedRanges: 0, heapMarks: 0 };
    expect(JSON.parse(result.stdout)).toEqual({
      error: { name: 'KsmError', code: 'ENOMEM', syscall: 'mmap', isKsmError: true },
      made: false, afterFailure: nothing, laterOk: true, end: nothing,
    });
  });
});
