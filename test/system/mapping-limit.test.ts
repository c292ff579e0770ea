import fs from 'node:fs';
import os from 'node:os';
import { getSystemErrorMap } from 'node:util';
import { describe, expect, it } from 'vitest';
import { fixture } from '../helpers/paths.js';
import { runNodeJson } from '../helpers/child.js';
import { underSanitizer } from '../helpers/proc.js';
import { root } from '../helpers/platform.js';

const MAX_MAP_COUNT = '/proc/sys/vm/max_map_count';
const asan = underSanitizer('its allocator aborts once vm.max_map_count is lowered');

describe.skipIf(!root || asan)(`the mapping limit${asan ? ` (${asan})` : ''}`, () => {
  it('with vm.max_map_count lowered, marking many small heap buffers ends in KsmError ENOMEM naming it, and the process runs on', () => {
    const saved = fs.readFileSync('/proc/sys/vm/max_map_count', 'utf8');
    try {
      const report = runNodeJson<Record<string, unknown>>('', { args: [fixture('mapping-limit.cjs')] });
      expect(report).toMatchObject({ name: 'KsmError', isKsmError: true, code: 'ENOMEM', errno: -os.constants.errno.ENOMEM,
        syscall: 'madvise', works: true });
      expect(report.message).toMatch(/^ENOMEM: not enough memory, madvise \(this process has \d+ memory mappings and vm\.max_map_count is \d+: .*allocMergeable or mergeableFrom/);
      expect(report.marked).toBeGreaterThan(500);
      expect(report.maps as number).toBeLessThan(report.limit as number);
    } finally {
      fs.writeFileSync('/proc/sys/vm/max_map_count', saved);
    }
    expect(fs.readFileSync('/proc/sys/vm/max_map_count', 'utf8')).toBe(saved);
  });
});

describe.skipIf(!root || asan)(`the kernel's own refusal at the mapping limit${root ? '' : ' (skipped: lowering vm.max_map_count needs root on Linux)'}${asan ? ` (${asan})` : ''}`, () => {
  // Kernels before 6.x answer ENOMEM at the limit; current ones EAGAIN (ENOMEM is kept for
  // unmapped ranges). Either way the error must be shaped exactly like Node's.
  it('madvise failing at the mapping limit becomes a KsmError shaped like Node\'s errors, naming vm.max_map_count', () => {
    const saved = fs.readFileSync(MAX_MAP_COUNT, 'utf8');
    try {
      // At the limit whatever needs a mapping aborts the process (malloc, V8's compilers), so the
      // fixture spends only a few calls there. glibc set to map every allocation of 4 KiB or more
      // is the worst case of that: it made the former 750-call loop abort in TurboFan's zone.
      const report = runNodeJson<Record<string, unknown>>('', { args: ['--single-threaded', '--jitless',
        fixture('kernel-refusal.cjs')], env: { GLIBC_TUNABLES: 'glibc.malloc.mmap_threshold=4096' } });
      expect(report).toMatchObject({ name: 'KsmError', isKsmError: true, syscall: 'madvise', stillWorks: true });
      expect(['EAGAIN', 'ENOMEM']).toContain(report.code);
      const [code, description] = getSystemErrorMap().get(report.errno as number) ?? [];
      expect(code).toBe(report.code);
      // Node's form first, then what to do: the limit named, and the calls that avoid it.
      expect(report.message).toMatch(new RegExp(`^${code}: ${description}, madvise \\(this process has \\d+ ` +
        'memory mappings and vm.max_map_count is \\d+: .*allocMergeable or mergeableFrom.*raise vm.max_map_count\\)$'));
      expect(report.marked).toBeGreaterThan(0);
      expect(report.marked).toBeLessThan(100); // the kernel refused before the loop's end
    } finally {
      fs.writeFileSync(MAX_MAP_COUNT, saved);
    }
  });
});
