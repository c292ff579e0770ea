import { validateMemory } from './args.js';
import { callNative } from './native.js';
import { isRangeFlagged, lastSmapsMappingStart } from './parse.js';
import { readKernelFileUntil } from './procfs.js';

/**
 * Whether the kernel really made the view's memory mergeable: true when every whole page of
 * the view lies in a mapping whose VmFlags in /proc/self/smaps carry `mg`. madvise succeeds
 * silently on memory KSM cannot merge (shared, file-backed), so this is the only proof.
 * A view with no whole page is not mergeable. smaps is read only up to the view's last page.
 */
export function isMarkedMergeable(view: ArrayBuffer | ArrayBufferView): boolean {
  validateMemory(view, 'view');
  const { address, start, end } = callNative((binding) => binding.pageSpan(view));
  if (end <= start) return false;
  const begin = address + start;
  const stop = address + end;
  // Mappings are listed in address order: once one starts at or past the range, stop reading.
  // Only the text added since the last look is searched (from the last line start before it).
  let searched = 0;
  const smaps = readKernelFileUntil('/proc/self/smaps', (text) => {
    const from = text.lastIndexOf('\n', searched) + 1;
    searched = text.length;
    return lastSmapsMappingStart(text.slice(from)) >= stop;
  });
  return isRangeFlagged(smaps, begin, stop, 'mg');
}
