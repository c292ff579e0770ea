import { describe, expect, it } from 'vitest';
import { disableProcessMerge, enableProcessMerge, isProcessMergeEnabled } from '../../lib/index.js';
import { hasMergeAnyLine, noProcessMerge, rawProcessStats } from '../helpers/kernel.js';
import { underSanitizer } from '../helpers/proc.js';
import { linux } from '../helpers/platform.js';

const asan = underSanitizer('turning process-wide merge off walks all of its shadow memory');

const skip = asan ?? noProcessMerge;

describe.skipIf(!linux || skip)(`process-wide merge (prctl PR_SET_MEMORY_MERGE)${skip ? ` (${skip})` : ''}`, () => {
  it('turns it on and off, isProcessMergeEnabled agrees each time, and so does ksm_stat where it shows it (6.14+)', () => {
    const mergeAny = () => rawProcessStats().mergeAny;
    try {
      expect(isProcessMergeEnabled()).toBe(false);
      expect(mergeAny()).toBe(hasMergeAnyLine ? false : undefined);

      enableProcessMerge();
      expect(mergeAny()).toBe(hasMergeAnyLine ? true : undefined);
      expect(isProcessMergeEnabled()).toBe(true);

      disableProcessMerge();
      expect(mergeAny()).toBe(hasMergeAnyLine ? false : undefined);
      expect(isProcessMergeEnabled()).toBe(false);
    } finally {
      disableProcessMerge();
    }
  });
});
