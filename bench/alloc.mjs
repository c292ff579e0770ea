// Allocation: node-ksm's page-aligned mergeable memory against Node's own Buffers, each page
// of every buffer touched (so the cost of faulting memory in counts on both sides). Two ways:
// kept alive (every buffer of a round lives until the round ends, then all are dropped: each
// round faults fresh pages on both sides) and churn (each buffer is dropped at once, as a
// server's per-request buffers are: what matters there is how freed memory is reused).
import { allocMergeable, mergeableFrom } from 'node-ksm';
import { PAGE_SIZE as PAGE } from '../test/helpers/page-size.cjs';
import { compare } from './harness.mjs';


function touch(buffer) {
  for (let i = 0; i < buffer.length; i += PAGE) buffer[i] = 1;
  return buffer;
}

export async function allocFigures({ quick }) {
  const figures = [];
  const sizes = [['4 KiB', 4 * 1024, 2000], ['64 KiB', 64 * 1024, 500], ['1 MiB', 1024 * 1024, 50]];
  const keptGoals = { '4 KiB': 2, '1 MiB': 1 };
  const churnGoals = { '4 KiB': 1.5, '64 KiB': 1.5, '1 MiB': 1.2 };
  for (const [label, size, iterations] of sizes) {
    const source = Buffer.alloc(size, 'node-ksm ');
    const options = { rounds: quick ? 5 : 21, iterations: quick ? Math.ceil(iterations / 10) : iterations, collect: true };
    const alloc = await compare({
      allocMergeable: () => touch(allocMergeable(size)),
      'Buffer.alloc': () => touch(Buffer.alloc(size)),
    }, options);
    const from = await compare({
      mergeableFrom: () => mergeableFrom(source),
      'Buffer.from': () => Buffer.from(source),
    }, options);
    // Ten times the iterations: enough garbage per round for V8 to collect inside it.
    const churn = await compare({
      allocMergeable: () => { touch(allocMergeable(size)); },
      'Buffer.alloc': () => { touch(Buffer.alloc(size)); },
    }, { ...options, iterations: options.iterations * 10, collect: false });
    figures.push(
      { figure: `allocMergeable vs Buffer.alloc, ${label}, pages touched`, ours: alloc.allocMergeable,
        baseline: alloc['Buffer.alloc'], unit: 'ns/op', goal: keptGoals[label] },
      { figure: `mergeableFrom vs Buffer.from, ${label}`, ours: from.mergeableFrom,
        baseline: from['Buffer.from'], unit: 'ns/op' },
      { figure: `churn: allocate, touch every page, drop; allocMergeable vs Buffer.alloc, ${label}`,
        ours: churn.allocMergeable, baseline: churn['Buffer.alloc'], unit: 'ns/op', goal: churnGoals[label] },
    );
  }
  return figures;
}
