// inspect(): batched reads of pagemap and kpageflags against the plain way, a pread per page.
import { allocMergeable, inspect } from 'node-ksm';
import { compare } from './harness.mjs';
import { mergedByHand } from './merged-by-hand.cjs';

const PAGE = 4096;

export async function inspectFigures({ quick }) {
  if (process.getuid?.() !== 0) return []; // frame numbers are root's
  const mib = quick ? 16 : 64;
  const view = allocMergeable(mib * 1024 * 1024);
  for (let i = 0; i < view.length; i += PAGE) view[i] = 1;
  const { native } = await import('../dist/native.js');
  const { address, start, end } = native().pageSpan(view);
  const times = await compare({
    inspect: () => inspect(view),
    preadPerPage: () => mergedByHand(address, start, end),
  }, { rounds: quick ? 3 : 9, iterations: 1 });
  return [{ figure: `inspect() of ${mib} MiB vs a pread per page (cost per MiB)`, ours: times.inspect / mib,
    baseline: times.preadPerPage / mib, unit: 'ns/MiB' }];
}
