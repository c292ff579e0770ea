import { describe, expect, it } from 'vitest';
import { disableProcessMerge, enableProcessMerge, isProcessMergeEnabled } from '../../lib/index.js';
import { readKsmStat, underSanitizer } from '../helpers/proc.js';

const asan = underSanitizer('turning process-wide merge off walks all of its shadow memory');

describe.skipIf(process.platform !== 'linux' || asan)(`process-wide merge (prctl PR_SET_MEMORY_MERGE)${asan ? ` (${asan})` : ''}`, () => {
  it('turns ksm_merge_any on and off, and isProcessMergeEnabled agrees each time', () => {
    try {
      expect(isProcessMergeEnabled()).toBe(false);
      expect(readKsmStat().ksm_merge_any).toBe('no');

      enableProcessMerge();
      expect(readKsmStat().ksm_merge_any).toBe('yes');
      expect(isProcessMergeEnabled()).toBe(true);

      disableProcessMerge();
      expect(readKsmStat().ksm_merge_any).toBe('no');
      expect(isProcessMergeEnabled()).toBe(false);
    } finally {
      disableProcessMerge();
    }
  });
});
