// estimate(): reading and hashing other processes' resident pages, against the machine's own
// memcpy of as many bytes in the same rounds (cold memory both: far larger than any cache).
import { estimate } from 'node-ksm';
import { startChild, stopChild } from './children.mjs';
import { compare } from './harness.mjs';

export async function estimateFigures({ quick }) {
  const mib = quick ? 32 : 256;
  const children = await Promise.all([0, 1, 2, 3].map(() => startChild('resident-child.cjs', [mib])));
  try {
    const pids = children.map((child) => child.pid);
    const source = Buffer.alloc(mib * 1024 * 1024, 1);
    const target = Buffer.alloc(source.length, 2);
    let pages = 0;
    const times = await compare({
      estimate: async () => {
        pages = (await estimate({ pids })).total.pages;
      },
      memcpy: () => {
        for (let i = 0; i < children.length; i++) source.copy(target);
      },
    }, { rounds: quick ? 3 : 7, iterations: 1 });
    const bytes = children.length * mib * 1024 * 1024;
    const ours = times.estimate / (bytes / 1048576);
    const baseline = times.memcpy / (bytes / 1048576);
    const rate = (ns) => `${(pages / (ns / 1e9) / 1e6).toFixed(2)} M pages/s`;
    return [{
      figure: `estimate() of 4 processes x ${mib} MiB vs memcpy of the same bytes (cost per MiB)`,
      ours, baseline, unit: 'ns/MiB', goal: 4,
      note: `${rate(times.estimate)}, ${(baseline / ours).toFixed(2)}x the copy rate (${rate(times.memcpy)}); goal >= 0.25x; ${pages} pages`,
    }];
  } finally {
    await Promise.all(children.map(stopChild));
  }
}
