// Mapping count: small buffers marked one by one split the heap into mappings until
// vm.max_map_count stops them; allocMergeable keeps them in a few arenas.
import { runChild } from './children.mjs';

export async function mappingFigures({ quick }) {
  const count = quick ? 20_000 : 100_000;
  const marked = runChild('mappings-child.cjs', ['marked', count]);
  const allocated = runChild('mappings-child.cjs', ['alloc', count]);
  return [{
    figure: `mappings added by ${count.toLocaleString('en-US')} 8 KiB buffers: allocMergeable vs marking one by one`,
    ours: allocated.mappingsAdded, baseline: marked.mappingsAdded, unit: 'mappings',
    note: marked.died ? `marking one by one killed the process (${marked.died}) after at least ${marked.made} buffers`
      : marked.error ? `marking one by one stopped with ${marked.error} after ${marked.made.toLocaleString('en-US')} buffers`
        : `both made all ${count.toLocaleString('en-US')}`,
  }];
}
