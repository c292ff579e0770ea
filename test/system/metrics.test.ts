import { describe, expect, it } from 'vitest';
import { allocMergeable, mergeableFrom, waitForMerge } from '../../lib/index.js';
import { ksmdUnavailable, readKsmFile, waitForFullScans, withKsmd } from '../helpers/ksmd.js';
import { rawProcessStats, readOptionalKsmFile } from '../helpers/kernel.js';

const linux = process.platform === 'linux';

describe.skipIf(!linux || ksmdUnavailable)('Prometheus metrics', () => {
  it('registers every gauge in a fresh registry, each equal to the kernel\'s files', async () => {
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
      const file = (name: string) => (readOptionalKsmFile(name) === undefined ? undefined : Number(readOptionalKsmFile(name)));
      const expected = {
        shared: Number(readKsmFile('pages_shared')), sharing: Number(readKsmFile('pages_sharing')),
        unshared: Number(readKsmFile('pages_unshared')), volatile: Number(readKsmFile('pages_volatile')),
        scans: Number(readKsmFile('full_scans')), profit: file('general_profit'),
        // A figure this kernel does not report has no gauge.
        merging: raw.mergingPages, processProfit: raw.profitBytes,
        mergeAny: raw.mergeAny === undefined ? undefined : Number(raw.mergeAny),
      };
      expect({
        shared: value('ksm_pages_shared'), sharing: value('ksm_pages_sharing'), unshared: value('ksm_pages_unshared'),
        volatile: value('ksm_pages_volatile'), scans: value('ksm_full_scans'), profit: value('ksm_general_profit_bytes'),
        merging: value('ksm_process_merging_pages'), processProfit: value('ksm_process_profit_bytes'),
        mergeAny: value('ksm_process_merge_any'),
      }).toEqual(expected);
      if (expected.merging !== undefined) expect(value('ksm_process_merging_pages')).toBeGreaterThan(0);
      expect(metrics).toHaveLength(Object.values(expected).filter((figure) => figure !== undefined).length);
    }, { run: 0 });
  });

  it('each scrape reads the kernel afresh: a second scrape after a full scan shows it', async () => {
    const { Registry } = await import('prom-client');
    const { registerKsmMetrics } = await import('../../lib/metrics.js');
    const registry = new Registry();
    registerKsmMetrics(registry);
    const scanned = allocMergeable(16 * 4096, 1); // ksmd scans only while something is mergeable
    const fullScans = async () => (await registry.getMetricsAsJSON()).find((m) => m.name === 'ksm_full_scans')?.values[0]?.value;
    await withKsmd(async () => {
      const first = await fullScans();
      await waitForFullScans(1);
      await new Promise((resolve) => setImmediate(resolve));
      expect(await fullScans()).toBeGreaterThan(first as number);
    });
    expect(scanned.length).toBe(16 * 4096);
  });
});
