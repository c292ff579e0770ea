// Stats cost: the library's readers against the plainest reads of the same files.
import fs from 'node:fs';
import { processStats, systemStats } from 'node-ksm';
import { compare } from './harness.mjs';

const KSM = '/sys/kernel/mm/ksm';

export async function statsFigures({ quick }) {
  const rounds = quick ? 5 : 21;
  const iterations = quick ? 200 : 2000;
  const ksmFiles = fs.readdirSync(KSM).map((file) => `${KSM}/${file}`);

  const perProcess = await compare({
    processStats: () => processStats(),
    raw: () => fs.readFileSync('/proc/self/ksm_stat'),
  }, { rounds, iterations });
  const system = await compare({
    systemStats: () => systemStats(),
    raw: () => {
      for (const file of ksmFiles) fs.readFileSync(file);
      fs.readFileSync('/proc/vmstat');
    },
  }, { rounds, iterations: iterations / 10 });

  return [
    { figure: 'processStats() vs readFileSync(/proc/self/ksm_stat)', ours: perProcess.processStats,
      baseline: perProcess.raw, unit: 'ns/call', goal: 2 },
    { figure: `systemStats() vs readFileSync of its ${ksmFiles.length + 1} files`, ours: system.systemStats,
      baseline: system.raw, unit: 'ns/call', goal: 1.5 },
  ];
}
