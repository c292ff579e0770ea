// inspect(): pagemap in one read and kpageflags in one read per cluster of nearby frames,
// against the two plain ways: a pread per page, and one kpageflags read over the whole span of
// frames the view uses (which the kernel scatters over RAM, so the span is far larger).
import { allocMergeable, inspect } from 'node-ksm';
import { compare } from './harness.mjs';
import { mergedBySpanRead, mergedByHand } from '../test/helpers/merged-by-hand.cjs';
import { PAGE_SIZE as PAGE } from '../test/helpers/page-size.cjs';


export async function inspectFigures({ quick }) {
  if (process.getuid?.() !== 0) return []; // frame numbers are root's
  const mib = quick ? 16 : 64;
  const view = allocMergeable(mib * 1024 * 1024);
  for (let i = 0; i < view.length; i += PAGE) view[i] = 1;
  const { addon } = await import('../dist/kernel/addon.js');
  const { address, start, end } = addon().pageSpan(view);
  const pages = (end - start) / PAGE;
  const { reads } = addon().inspectPages(view);
  const { span } = mergedBySpanRead(address, start, end);
  const times = await compare({
    inspect: () => inspect(view),
    preadPerPage: () => mergedByHand(address, start, end),
    spanRead: () => mergedBySpanRead(address, start, end),
  }, { rounds: quick ? 3 : 9, iterations: 1 });
  return [
    { figure: `inspect() of ${mib} MiB vs a pread per page (cost per MiB)`, ours: times.inspect / mib,
      baseline: times.preadPerPage / mib, unit: 'ns/MiB',
      note: `${reads.kpageflags} kpageflags reads for ${pages} pages` },
    { figure: `inspect() of ${mib} MiB vs one kpageflags read over the frames' span (cost per MiB)`,
      ours: times.inspect / mib, baseline: times.spanRead / mib, unit: 'ns/MiB',
      note: `the span is ${span} frames, ${(span / pages).toFixed(1)}x the view's pages` },
  ];
}
