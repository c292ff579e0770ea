import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { allocMergeable, mergeableFrom, waitForMerge } from '../../lib/index.js';
import { packageRoot } from '../helpers/child.js';
import { ksmdUnavailable, waitForFullScans, waitUntil, withKsmd } from '../helpers/ksmd.js';
import { noProcessMergeCount, rawProcessStats, readOptionalKsmFile } from '../helpers/kernel.js';
import { PAGE_SIZE as pageSize } from '../helpers/page-size.cjs';
import { linux } from '../helpers/platform.js';

/** A file of /sys/kernel/mm/ksm as a number, undefined where this kernel lacks it. */
const file = (name: string) => (readOptionalKsmFile(name) === undefined ? undefined : Number(readOptionalKsmFile(name)));

/** The system-wide metrics and the files each must equal (undefined: no metric on this kernel). */
function systemExpected() {
  return {
    ksm_run: file('run'), ksm_pages_to_scan: file('pages_to_scan'),
    ksm_sleep_seconds: file('sleep_millisecs')! / 1000,
    ksm_pages_shared: file('pages_shared'), ksm_pages_sharing: file('pages_sharing'),
    ksm_pages_unshared: file('pages_unshared'), ksm_pages_volatile: file('pages_volatile'),
    ksm_saved_bytes: file('pages_sharing')! * pageSize, ksm_general_profit_bytes: file('general_profit'),
    ksm_full_scans_total: file('full_scans'), ksm_pages_scanned_total: file('pages_scanned'),
  };
}

describe.skipIf(!linux || ksmdUnavailable)('Prometheus metrics', () => {
  it('registers every metric in a fresh registry, each equal to the kernel\'s files, counters as counters', async () => {
    const { Registry } = await import('prom-client');
    const { registerKsmMetrics } = await import('../../lib/metrics.js');
    const registry = new Registry();
    registerKsmMetrics(registry);
    const data = Buffer.alloc(32 * 4096, 'metrics ');
    const copies = [mergeableFrom(data), mergeableFrom(data)];
    await withKsmd(() => waitForMerge(copies[0], { timeout: 20_000 }));
    await withKsmd(async () => {
      const metrics = await registry.getMetricsAsJSON();
      const value = (name: string) => metrics.find((m) => m.name === name)?.values[0]?.value;
      const raw = rawProcessStats();
      const expected: Record<string, number | undefined> = {
        ...systemExpected(),
        // A figure this kernel does not report has no metric.
        ksm_process_merging_pages: raw.mergingPages, ksm_process_profit_bytes: raw.profitBytes,
        ksm_process_merge_any: raw.mergeAny === undefined ? undefined : Number(raw.mergeAny),
      };
      expect(Object.fromEntries(Object.keys(expected).map((name) => [name, value(name)]))).toEqual(expected);
      if (expected.ksm_process_merging_pages !== undefined) expect(value('ksm_process_merging_pages')).toBeGreaterThan(0);
      expect(metrics.map((m) => m.name).sort()).toEqual(Object.keys(expected).filter((name) => expected[name] !== undefined).sort());
      const types = Object.fromEntries(metrics.map((m) => [m.name, m.type]));
      expect(types.ksm_full_scans_total).toBe('counter');
      expect(types.ksm_pages_sharing).toBe('gauge');
      if (expected.ksm_pages_scanned_total !== undefined) expect(types.ksm_pages_scanned_total).toBe('counter');
    }, { run: 0 });
  });

  it('each scrape reads the kernel afresh: a second scrape after a full scan shows it', async () => {
    const { Registry } = await import('prom-client');
    const { registerKsmMetrics } = await import('../../lib/metrics.js');
    const registry = new Registry();
    registerKsmMetrics(registry);
    const scanned = allocMergeable(16 * 4096, 1); // ksmd scans only while something is mergeable
    const fullScans = async () => (await registry.getMetricsAsJSON()).find((m) => m.name === 'ksm_full_scans_total')?.values[0]?.value;
    await withKsmd(async () => {
      const first = await fullScans();
      await waitForFullScans(1);
      await new Promise((resolve) => setImmediate(resolve));
      expect(await fullScans()).toBeGreaterThan(first as number);
      expect((await registry.getSingleMetric('ksm_run')?.get())?.values[0]?.value).toBe(1);
    });
    expect(scanned.length).toBe(16 * 4096);
  });

  it('labels go on every metric; a prefix renames them; bad options are typed errors', async () => {
    const { Registry } = await import('prom-client');
    const { registerKsmMetrics } = await import('../../lib/metrics.js');
    const registry = new Registry();
    registerKsmMetrics(registry, { prefix: 'node_ksm_', labels: { service: 'api', zone: 'b' } });
    const metrics = await registry.getMetricsAsJSON();
    expect(metrics.length).toBeGreaterThan(8);
    for (const metric of metrics) {
      expect(metric.name).toMatch(/^node_ksm_/);
      expect(metric.values).toEqual([expect.objectContaining({ labels: { service: 'api', zone: 'b' } })]);
    }
    const fresh = () => new Registry();
    const unprefixed = fresh();
    registerKsmMetrics(unprefixed, { prefix: '' });
    expect((await unprefixed.getMetricsAsJSON()).map((m) => m.name)).toContain('pages_sharing');
    expect(() => registerKsmMetrics(fresh(), { prefix: 'ksm-' })).toThrow(expect.objectContaining({ name: 'TypeError', code: 'ERR_INVALID_ARG_VALUE' }));
    expect(() => registerKsmMetrics(fresh(), { prefix: 5 as never })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => registerKsmMetrics(fresh(), { labels: { 'bad-name': 'x' } })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    expect(() => registerKsmMetrics(fresh(), { labels: { reason: 'x' } })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_VALUE' }));
    expect(() => registerKsmMetrics(fresh(), { labels: { service: 1 as never } })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => registerKsmMetrics(fresh(), 'ksm_' as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => registerKsmMetrics({} as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
  });

  it('the example cluster\'s /metrics: system-wide values equal the files, per-process ones the sum of the 4 workers', async () => {
    const example = spawn(process.execPath, [path.join(packageRoot, 'examples', 'metrics-cluster.cjs')],
      { cwd: packageRoot, env: { ...process.env, PORT: '0', WORKERS: '4' }, stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      let output = '';
      example.stdout.on('data', (chunk) => { output += chunk; });
      expect(await waitUntil(() => /workers( \d+){4}\)/.test(output), 20_000)).toBe(true);
      const [, url, pidList] = /metrics on (\S+) \(workers ([\d ]+)\)/.exec(output)!;
      const pids = pidList.split(' ').map(Number);
      const workersMerged = () => pids.reduce((sum, pid) => sum + (rawProcessStats(pid).mergingPages ?? 0), 0);
      // Each worker holds the same 4 MiB in mergeable memory: wait until all of them merged.
      await withKsmd(async () => {
        if (!noProcessMergeCount) expect(await waitUntil(() => workersMerged() >= 4 * (4 << 20) / pageSize, 30_000)).toBe(true);
        else await waitForFullScans(3);
      });
      // ksmd stopped: the counts hold still while the scrape and the files are read.
      await withKsmd(async () => {
        const text = await (await fetch(url)).text();
        const samples = new Map<string, number>();
        for (const [, name, value] of text.matchAll(/^(\w+)\{app="metrics-example"\} (\S+)$/gm)) samples.set(name, Number(value));
        const expected = systemExpected();
        for (const [name, value] of Object.entries(expected)) expect([name, samples.get(name)]).toEqual([name, value]);
        expect(samples.get('ksm_run')).toBe(0);
        if (!noProcessMergeCount) {
          expect(samples.get('ksm_process_merging_pages')).toBe(workersMerged());
          expect(samples.get('ksm_process_merging_pages')).toBeGreaterThanOrEqual(4 * (4 << 20) / pageSize);
          const profits = pids.map((pid) => rawProcessStats(pid).profitBytes);
          if (profits.every((profit) => profit !== undefined)) {
            expect(samples.get('ksm_process_profit_bytes')).toBe(profits.reduce((a, b) => a! + b!, 0));
          }
        } else {
          expect(samples.has('ksm_process_merging_pages')).toBe(false);
        }
      }, { run: 0 });
    } finally {
      example.kill('SIGTERM');
      await new Promise((resolve) => example.once('exit', resolve));
    }
  });

  it('the Grafana dashboard asks only for metrics registerKsmMetrics provides', async () => {
    const { Registry } = await import('prom-client');
    const { registerKsmMetrics } = await import('../../lib/metrics.js');
    const registry = new Registry();
    registerKsmMetrics(registry);
    const provided = new Set((await registry.getMetricsAsJSON()).map((m) => m.name));
    // Figures an older kernel lacks are still provided where it has them.
    const lacking = { ksm_pages_scanned_total: 'pages_scanned', ksm_general_profit_bytes: 'general_profit' } as Record<string, string>;
    const dashboard = JSON.parse(fs.readFileSync(path.join(packageRoot, 'examples', 'grafana-dashboard.json'), 'utf8'));
    const asked = new Set<string>();
    for (const panel of dashboard.panels) {
      for (const target of panel.targets) for (const [name] of target.expr.matchAll(/\bksm_\w+/g)) asked.add(name);
    }
    expect(asked.size).toBeGreaterThanOrEqual(10);
    for (const name of asked) {
      if (lacking[name] && readOptionalKsmFile(lacking[name]) === undefined) continue;
      if (name.startsWith('ksm_process_') && noProcessMergeCount) continue;
      expect([name, provided.has(name)]).toEqual([name, true]);
    }
  });
});
