// Stats cost: the library's readers against the plainest reads of the same files.
import fs from 'node:fs';
import { processStats, systemStats } from 'node-ksm';
import { compare } from './harness.mjs';

const KSM = '/sys/kernel/mm/ksm';

export async function statsFigures({ quick }) {
  const rounds = quick ? 5 : 21;
  const iterations = quick ? 200 : 2000;
  const ksmFiles = fs.readdirSync(KSM).map((file) => `${KSM}/${file}`);
  // What processStats() reads on this kernel: ksm_stat (6.1+), and ksm_merging_pages (5.19+)
  // where ksm_stat has no merged page count (before 6.4).
  const readable = (file) => {
    try {
      return fs.readFileSync(file, 'latin1');
    } catch {
      return undefined;
    }
  };
  const processFiles = readable('/proc/self/ksm_stat')?.includes('ksm_merging_pages ') ? ['/proc/self/ksm_stat']
    : ['/proc/self/ksm_stat', '/proc/self/ksm_merging_pages'].filter((file) => readable(file) !== undefined);
  const perProcess = processFiles.length === 0 ? undefined : await compare({
    processStats: () => processStats(),
    raw: () => {
      for (const file of processFiles) fs.readFileSync(file);
    },
  }, { rounds, iterations });
  if (!perProcess) process.stderr.write('bench: processStats() not measured: this kernel has no per-process KSM files (Linux 5.19+)\n');
  const system = await compare({
    systemStats: () => systemStats(),
    raw: () => {
      for (const file of ksmFiles) fs.readFileSync(file);
      fs.readFileSync('/proc/vmstat');
    },
  }, { rounds, iterations: iterations / 10 });

  return [
    ...(perProcess ? [{ figure: `processStats() vs readFileSync(${processFiles.join(', ')})`, ours: perProcess.processStats,
      baseline: perProcess.raw, unit: 'ns/call', goal: 2 }] : []),
    { figure: `systemStats() vs readFileSync of its ${ksmFiles.length + 1} files`, ours: system.systemStats,
      baseline: system.raw, unit: 'ns/call', goal: 1.5 },
  ];
}
