import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { markMergeable, unmarkMergeable } from '../lib/index.js';
import { ksmdUnavailable, waitUntil, withKsmd } from './helpers/ksmd.js';
import { readKsmStat, readSmapsMappings } from './helpers/proc.js';

const PAGE = 4096;
const linuxOnly = process.platform !== 'linux';

/** Mapping sizes that carry the `mg` VmFlag. */
function mergeableMappingSizes(): number[] {
  return readSmapsMappings().filter((mapping) => mapping.flags.includes('mg')).map((m) => m.bytes);
}

describe.skipIf(linuxOnly)('marking memory (the mg VmFlag in /proc/self/smaps)', () => {
  it('sets mg on exactly the advised pages and clears it when unmarked', () => {
    // A size no other mapping of the process has, so its mapping can be told apart.
    const view = Buffer.alloc(1237 * PAGE);
    const count = (bytes: number) => mergeableMappingSizes().filter((size) => size === bytes).length;

    const range = { offset: PAGE, length: 1000 * PAGE };
    const before = count(1000 * PAGE);
    const marked = markMergeable(view, range);
    expect(marked.pages).toBe(999); // the buffer does not start on a page boundary
    expect(count(marked.bytes)).toBe(before + 1);

    const unmarked = unmarkMergeable(view, range);
    expect(unmarked).toEqual(marked);
    expect(count(marked.bytes)).toBe(before);
  });
});

describe.skipIf(linuxOnly || ksmdUnavailable)(`real merging${ksmdUnavailable ? ` (skipped: ${ksmdUnavailable})` : ''}`, () => {
  it('merges two identical buffers marked with markMergeable', async () => {
    const size = 4096 * PAGE; // 16 MiB
    const content = randomBytes(size);
    // Each copy starts on a page boundary inside its own buffer (learned from the advised
    // range), so their pages hold the same bytes and can merge.
    const buffers = [Buffer.alloc(size + PAGE), Buffer.alloc(size + PAGE)];
    const copies = buffers.map((buffer) => {
      const { start } = markMergeable(buffer);
      content.copy(buffer, start);
      return markMergeable(buffer, { offset: start, length: size });
    });
    expect(copies.map((c) => c.pages)).toEqual([4096, 4096]);

    const target = copies[0].pages + copies[1].pages - 4;
    let merging = 0;
    const merged = await withKsmd(() => waitUntil(() => {
      merging = Number(readKsmStat().ksm_merging_pages);
      return merging >= target;
    }, 30_000));
    expect(merging).toBeGreaterThanOrEqual(target);
    expect(merged).toBe(true);
    expect(buffers[0].equals(buffers[1])).toBe(true); // still alive, and merging changed no byte
  });
});
