import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { mergeableFrom, waitForMerge } from '../../lib/index.js';
import { packageRoot } from '../helpers/child.js';
import { ksmdKey, ksmdUnavailable, readKsmFile, withKsmd } from '../helpers/ksmd.js';
import { rawProcessStats } from '../helpers/kernel.js';

const KSM = '/sys/kernel/mm/ksm';
const BIN = path.join(packageRoot, 'bin', 'ksm.js');
const linux = process.platform === 'linux';

function ksm(...args: string[]) {
  const result = spawnSync(process.execPath, [BIN, ...args], { cwd: packageRoot, encoding: 'utf8', timeout: 30_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('the ksm command line', () => {
  it.each([['bogus'], ['status', '--bogus'], ['status', 'extra'], ['watch', '--interval', 'soon'], ['ksmd'],
    ['ksmd', 'launch'], ['ksmd', 'set'], ['ksmd', 'set', 'pages_to_scan'], ['ksmd', 'start', 'now'], ['run']])(
    '%j exits 2 with a usage line', (...args) => {
      const result = ksm(...args);
      expect(result.status).toBe(2);
      expect(result.stderr).toMatch(/^ksm: .+\nUsage: ksm /);
      expect(result.stdout).toBe('');
    });

  it.each([['--help'], ['status', '--help'], ['watch', '--help'], ['ksmd', '--help'], ['run', '--help']])(
    '%j prints help and exits 0', (...args) => {
      const result = ksm(...args);
      expect(result.status).toBe(0);
      expect(result.stdout).toMatch(/^Usage: ksm /);
    });
});

describe.skipIf(!linux || ksmdUnavailable)('ksm status', () => {
  it('--json gives the kernel\'s numbers, and lists this process with its merged pages', async () => {
    const data = Buffer.alloc(64 * 4096, 'status ');
    const copies = [mergeableFrom(data), mergeableFrom(data)];
    await withKsmd(() => waitForMerge(copies[0], { timeout: 20_000 }));
    await withKsmd(() => {
      const result = ksm('status', '--json');
      expect(result.status).toBe(0);
      const { system, processes } = JSON.parse(result.stdout);
      for (const file of fs.readdirSync(KSM)) { // the files this kernel has
        const text = readKsmFile(file);
        expect([file, system[ksmdKey(file)]]).toEqual([file, /\[(.+)\]/.exec(text)?.[1] ?? Number(text)]);
      }
      const self = processes.find((p: { pid: number }) => p.pid === process.pid);
      const raw = rawProcessStats();
      if (raw.mergingPages === undefined) { // a kernel that reports no merged pages per process (before 5.19)
        expect(processes).toEqual([]);
        return;
      }
      expect(self).toMatchObject({ mergingPages: raw.mergingPages, ...(raw.profitBytes === undefined ? {} : { profitBytes: raw.profitBytes }) });
      expect(self.command).toContain('node');
      const merging = processes.map((p: { mergingPages: number }) => p.mergingPages);
      expect(merging).toEqual([...merging].sort((a, b) => b - a));
    }, { run: 0 });
  });

  it('prints the figures and a table of processes', () => {
    const result = ksm('status');
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^ksmd: +(stopped|running).*full scans\nsaved: .*ratio/m);
    expect(result.stdout).toMatch(/PID +COMMAND +MERGING PAGES +PROFIT|No process has merged pages/);
  });
});

describe.skipIf(!linux || ksmdUnavailable)('ksm ksmd and ksm watch', () => {
  it('ksmd set writes settings and prints before -> after; start and stop write run', async () => {
    await withKsmd(() => {
      const result = ksm('ksmd', 'set', 'pages_to_scan=321', 'sleepMillisecs=33');
      expect(result.stdout).toBe('pagesToScan: 5000 -> 321\nsleepMillisecs: 10 -> 33\n');
      expect(readKsmFile('pages_to_scan')).toBe('321');
      expect(ksm('ksmd', 'stop').status).toBe(0);
      expect(readKsmFile('run')).toBe('0');
      expect(ksm('ksmd', 'start').status).toBe(0);
      expect(readKsmFile('run')).toBe('1');
      const bad = ksm('ksmd', 'set', 'pages_to_scan=-5');
      expect(bad.status).toBe(1);
      expect(bad.stderr).toMatch(/out of range/);
      expect(readKsmFile('pages_to_scan')).toBe('321');
    });
  });

  it('watch prints plain lines when not on a terminal and ends cleanly on Ctrl-C', async () => {
    const child = spawn(process.execPath, [BIN, 'watch', '--interval', '0.1'], { cwd: packageRoot });
    let output = '';
    child.stdout.on('data', (chunk) => {
      output += chunk;
      if (output.split('\n').length > 3) child.kill('SIGINT');
    });
    const code = await new Promise((resolve) => child.once('exit', resolve));
    expect(code).toBe(0);
    const lines = output.trim().split('\n');
    expect(lines.length).toBeGreaterThanOrEqual(3);
    for (const line of lines) expect(line).toMatch(/^\d{4}-\d\d-\d\dT.* saved=.* pages_sharing=\d+ \([+-]\d+\) .*full_scans=\d+/);
  });
});
