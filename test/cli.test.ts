import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { mergeableFrom, waitForMerge } from '../lib/index.js';
import { packageRoot } from './helpers/child.js';
import { ksmdUnavailable, readKsmFile, withKsmd } from './helpers/ksmd.js';
import { readKsmStat } from './helpers/proc.js';

const KSM = '/sys/kernel/mm/ksm';
const BIN = path.join(packageRoot, 'bin', 'ksm.js');
const linux = process.platform === 'linux';
const camel = (name: string) => name.replace(/_(\w)/g, (_, c: string) => c.toUpperCase());

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
      for (const file of fs.readdirSync(KSM)) {
        const text = readKsmFile(file);
        expect([file, system[camel(file)]]).toEqual([file, /\[(.+)\]/.exec(text)?.[1] ?? Number(text)]);
      }
      const self = processes.find((p: { pid: number }) => p.pid === process.pid);
      const raw = readKsmStat();
      expect(self).toMatchObject({ mergingPages: Number(raw.ksm_merging_pages), profitBytes: Number(raw.ksm_process_profit) });
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

describe.skipIf(!linux)('ksm run and the preload hook', () => {
  const mergeAny = `console.log(require('fs').readFileSync('/proc/self/ksm_stat', 'utf8').match(/ksm_merge_any: (\\w+)/)[1])`;
  const node = (args: string[], env: NodeJS.ProcessEnv = {}) => spawnSync(process.execPath, args,
    { cwd: packageRoot, encoding: 'utf8', env: { ...process.env, NODE_KSM_MERGE: undefined, ...env } });

  it.each([
    ['-r', ['-r', 'node-ksm/register']],
    ['--import', ['--import', 'node-ksm/register']],
  ])('%s node-ksm/register with NODE_KSM_MERGE=1 turns merge on; without it, off', (_how, flags) => {
    expect(node([...flags, '-e', mergeAny], { NODE_KSM_MERGE: '1' }).stdout).toBe('yes\n');
    expect(node([...flags, '-e', mergeAny]).stdout).toBe('no\n');
  });

  it('works through NODE_OPTIONS', () => {
    expect(node(['-e', mergeAny], { NODE_KSM_MERGE: '1', NODE_OPTIONS: '-r node-ksm/register' }).stdout).toBe('yes\n');
  });

  it('on a host that cannot merge, warns once and lets the app run', () => {
    const result = node(['-e', `Object.defineProperty(process, 'platform', { value: 'darwin' });
      require('node-ksm/register'); console.log('app ran')`], { NODE_KSM_MERGE: '1' });
    expect(result.status).toBe(0);
    expect(result.stdout).toBe('app ran\n');
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/^node-ksm: NODE_KSM_MERGE=1, but process-wide merge could not be turned on: KSM is not available/);
  });

  it('ksm run starts a command with merge on and passes its exit code back', () => {
    expect(node([BIN, 'run', '--', process.execPath, '-e', mergeAny]).stdout).toBe('yes\n');
    expect(node([BIN, 'run', 'sh', '-c', 'grep -c "merge_any: yes" /proc/self/ksm_stat']).stdout).toBe('1\n');
    expect(node([BIN, 'run', process.execPath, '-e', 'process.exit(3)']).status).toBe(3);
    expect(node([BIN, 'run', '/nonexistent/command']).status).toBe(127);
  });
});

describe.skipIf(!linux || ksmdUnavailable)('Prometheus metrics', () => {
  it('registers every gauge in a fresh registry, each equal to the kernel\'s files', async () => {
    const { Registry } = await import('prom-client');
    const { registerKsmMetrics } = await import('../lib/metrics.js');
    const registry = new Registry();
    registerKsmMetrics(registry);
    const data = Buffer.alloc(32 * 4096, 'metrics ');
    const copies = [mergeableFrom(data), mergeableFrom(data)];
    await withKsmd(() => waitForMerge(copies[0], { timeout: 20_000 }));
    await withKsmd(async () => {
      const metrics = await registry.getMetricsAsJSON();
      const value = (name: string) => metrics.find((m) => m.name === name)?.values[0]?.value;
      const raw = readKsmStat();
      expect({
        shared: value('ksm_pages_shared'), sharing: value('ksm_pages_sharing'), unshared: value('ksm_pages_unshared'),
        volatile: value('ksm_pages_volatile'), scans: value('ksm_full_scans'), profit: value('ksm_general_profit_bytes'),
        merging: value('ksm_process_merging_pages'), processProfit: value('ksm_process_profit_bytes'),
        mergeAny: value('ksm_process_merge_any'),
      }).toEqual({
        shared: Number(readKsmFile('pages_shared')), sharing: Number(readKsmFile('pages_sharing')),
        unshared: Number(readKsmFile('pages_unshared')), volatile: Number(readKsmFile('pages_volatile')),
        scans: Number(readKsmFile('full_scans')), profit: Number(readKsmFile('general_profit')),
        merging: Number(raw.ksm_merging_pages), processProfit: Number(raw.ksm_process_profit),
        mergeAny: raw.ksm_merge_any === 'yes' ? 1 : 0,
      });
      expect(value('ksm_process_merging_pages')).toBeGreaterThan(0);
      expect(metrics).toHaveLength(9);
    }, { run: 0 });
  });
});

describe.skipIf(!linux || ksmdUnavailable)('npm run demo', () => {
  it('exits 0, prints the memory saved, reaches 95% of the maximum, and leaves ksmd as it found it', () => {
    const before = ['run', 'pages_to_scan', 'sleep_millisecs'].map(readKsmFile);
    const result = spawnSync(process.execPath, ['examples/demo.mjs'], { cwd: packageRoot, encoding: 'utf8', timeout: 90_000 });
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^memory saved +\d+\.\d MiB$/m);
    const percent = Number(/^of theoretical max +([\d.]+)%/m.exec(result.stdout)?.[1]);
    expect(percent).toBeGreaterThanOrEqual(95);
    expect(['run', 'pages_to_scan', 'sleep_millisecs'].map(readKsmFile)).toEqual(before);
  });
});
