import { native } from '../dist/native.js';
const b = native();
const tick = () => new Promise((r) => setImmediate(r));
const size = Number(process.argv[2]);
for (let round = 0; round < 4; round++) {
  let kept = [];
  let t0 = process.hrtime.bigint();
  for (let i = 0; i < 500; i++) kept.push(b.allocate(size, false));
  let t1 = process.hrtime.bigint();
  for (const k of kept) for (let i = 0; i < k.length; i += 4096) k[i] = 1;
  let t2 = process.hrtime.bigint();
  kept = null; globalThis.gc();
  let t3 = process.hrtime.bigint();
  await tick();
  let t4 = process.hrtime.bigint();
  console.log(`alloc ${Number(t1 - t0) / 500 | 0} touch ${Number(t2 - t1) / 500 | 0} gc ${Number(t3 - t2) / 500 | 0} finalize ${Number(t4 - t3) / 500 | 0} ns/op`);
}
