import fs from 'node:fs';
import { getSystemErrorMap } from 'node:util';
import { describe, expect, it } from 'vitest';
import { runNodeJson } from './helpers/child.js';
import { underSanitizer } from './helpers/proc.js';

const MAX_MAP_COUNT = '/proc/sys/vm/max_map_count';
const root = process.platform === 'linux' && process.getuid?.() === 0;
const asan = underSanitizer('its allocator aborts once vm.max_map_count is lowered');

describe.skipIf(!root || asan)(`system call failures${root ? '' : ' (skipped: lowering vm.max_map_count needs root on Linux)'}${asan ? ` (${asan})` : ''}`, () => {
  // Kernels before 6.x answer ENOMEM at the limit; current ones EAGAIN (ENOMEM is kept for
  // unmapped ranges). Either way the error must be shaped exactly like Node's.
  it('madvise failing at the mapping limit becomes a KsmError shaped like Node\'s errors, naming vm.max_map_count', () => {
    const saved = fs.readFileSync(MAX_MAP_COUNT, 'utf8');
    try {
      // In a child: with vm.max_map_count just above its mapping count, marking alternate
      // pages splits the mapping until the kernel refuses.
      const report = runNodeJson<Record<string, unknown>>(`
        const fs = require('node:fs');
        const ksm = require('node-ksm');
        const PAGE = 4096;
        const buffer = Buffer.alloc(4000 * PAGE);
        const { start } = ksm.unmarkMergeable(buffer);
        const saved = fs.readFileSync('${MAX_MAP_COUNT}', 'utf8');
        let error, marked = 0;
        try {
          const maps = fs.readFileSync('/proc/self/maps', 'utf8').split('\\n').length;
          fs.writeFileSync('${MAX_MAP_COUNT}', String(maps + 1500));
          for (let page = 0; page < 3000; page += 2) {
            ksm.markMergeable(buffer, { offset: start + page * PAGE, length: PAGE });
            marked++;
          }
        } catch (e) { error = e; } finally { fs.writeFileSync('${MAX_MAP_COUNT}', saved); }
        console.log(JSON.stringify({ marked, name: error?.name, isKsmError: error instanceof ksm.KsmError,
          message: error?.message, code: error?.code, errno: error?.errno, syscall: error?.syscall,
          stillWorks: ksm.markMergeable(Buffer.alloc(4 * PAGE)).pages >= 3 }));`);
      expect(report).toMatchObject({ name: 'KsmError', isKsmError: true, syscall: 'madvise', stillWorks: true });
      expect(['EAGAIN', 'ENOMEM']).toContain(report.code);
      const [code, description] = getSystemErrorMap().get(report.errno as number) ?? [];
      expect(code).toBe(report.code);
      // Node's form first, then what to do: the limit named, and the calls that avoid it.
      expect(report.message).toMatch(new RegExp(`^${code}: ${description}, madvise \\(this process has \\d+ ` +
        'memory mappings and vm.max_map_count is \\d+: .*allocMergeable or mergeableFrom.*raise vm.max_map_count\\)$'));
      expect(report.marked).toBeGreaterThan(0);
      expect(report.marked).toBeLessThan(1500);
    } finally {
      fs.writeFileSync(MAX_MAP_COUNT, saved);
    }
  });
});
