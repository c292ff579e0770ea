// Call overhead: markMergeable on one page against madvise in a bare C loop (compiled here).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { allocMergeable, markMergeable } from 'node-ksm';
import { median } from './harness.mjs';
import { PAGE_SIZE as PAGE } from '../test/helpers/page-size.cjs';

function buildLoop() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'node-ksm-bench-'));
  const binary = path.join(dir, 'madvise-loop');
  execFileSync(process.env.CC ?? 'cc', ['-O2', '-o', binary, new URL('./madvise-loop.c', import.meta.url).pathname]);
  return { binary, dir };
}

export async function overheadFigures({ quick }) {
  const { binary, dir } = buildLoop();
  try {
    const iterations = quick ? 20_000 : 200_000;
    const page = allocMergeable(PAGE);
    const ours = [];
    const bare = [];
    for (let round = 0; round < (quick ? 3 : 11); round++) {
      const start = process.hrtime.bigint();
      for (let i = 0; i < iterations; i++) markMergeable(page);
      ours.push(Number(process.hrtime.bigint() - start) / iterations);
      bare.push(Number(execFileSync(binary, [String(iterations)], { encoding: 'utf8' })));
    }
    return [{ figure: 'markMergeable(one page) vs madvise in a C loop', ours: median(ours), baseline: median(bare),
      unit: 'ns/call', goal: 1.1 }];
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
