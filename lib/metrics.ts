// Prometheus gauges for KSM, collected at scrape time: `registerKsmMetrics(registry)`.
// prom-client is an optional peer dependency, loaded only when this is called.
import type { Registry } from 'prom-client';
import { processStats, systemStats, type ProcessStats, type SystemStats } from './stats.js';
import { transparentModeStats } from './transparent.js';

type PromClient = typeof import('prom-client');

function loadPromClient(): PromClient {
  try {
    return require('prom-client') as PromClient;
  } catch (error) {
    throw new Error('node-ksm/metrics needs prom-client, an optional peer dependency: npm install prom-client',
      { cause: error });
  }
}

/**
 * One reading of the kernel's files per scrape, however many gauges ask for it. A host where
 * they cannot be read leaves these values out rather than failing the whole scrape.
 */
function perScrape<T>(read: () => T): () => Partial<T> {
  let cached: { value: Partial<T> } | undefined;
  return () => {
    if (!cached) {
      let value: Partial<T>;
      try {
        value = read();
      } catch {
        value = {};
      }
      cached = { value };
      setImmediate(() => {
        cached = undefined;
      });
    }
    return cached.value;
  };
}

export interface KsmMetricsOptions {
  /** Prefix for the metric names. Default 'ksm_'. */
  prefix?: string;
}

/**
 * Adds the KSM gauges to `registry` (prom-client's default registry if none is given):
 * ksm_pages_shared, ksm_pages_sharing, ksm_pages_unshared, ksm_pages_volatile, ksm_full_scans,
 * ksm_general_profit_bytes (system-wide, /sys/kernel/mm/ksm) and ksm_process_merging_pages,
 * ksm_process_profit_bytes, ksm_process_merge_any (this process, /proc/self/ksm_stat).
 * Values are read when scraped. A figure this kernel does not report (an older kernel's
 * missing file or line) gets no gauge. Where transparent mode is on when this is called, four
 * counters say what it did in this thread: ksm_transparent_placed_buffers_total and
 * ksm_transparent_placed_bytes_total, and ksm_transparent_left_buffers_total and
 * ksm_transparent_left_bytes_total with a `reason` label (belowThreshold, fallback,
 * otherArguments).
 */
export function registerKsmMetrics(registry?: Registry, options: KsmMetricsOptions = {}): void {
  const client = loadPromClient();
  const registers = [registry ?? client.register];
  const prefix = options.prefix ?? 'ksm_';
  const system = perScrape(systemStats);
  const self = perScrape(() => processStats());
  // Which figures this kernel reports cannot change while it runs: only those get a gauge, so
  // a figure an older kernel lacks is absent from the scrape rather than a false 0.
  const reported = { ...system(), ...self() } as Record<string, unknown>;

  const gauge = (name: string, help: string, [key, value]: [string, () => number | boolean | undefined]) => {
    if (reported[key] === undefined) return;
    new client.Gauge({
      name: prefix + name,
      help,
      registers,
      collect() {
        const current = value();
        this.reset();
        if (current !== undefined) this.set(Number(current));
      },
    });
  };
  const fromSystem = (key: keyof SystemStats): [string, () => number | undefined] =>
    [key, () => system()[key] as number | undefined];
  const fromSelf = (key: keyof ProcessStats): [string, () => number | boolean | undefined] => [key, () => self()[key]];

  gauge('pages_shared', 'KSM pages in use: one per distinct merged content', fromSystem('pagesShared'));
  gauge('pages_sharing', 'Extra mappings of KSM pages: the pages saved', fromSystem('pagesSharing'));
  gauge('pages_unshared', 'Mergeable pages that are unique, checked repeatedly', fromSystem('pagesUnshared'));
  gauge('pages_volatile', 'Mergeable pages changing too fast to merge', fromSystem('pagesVolatile'));
  gauge('full_scans', 'Completed ksmd passes over all mergeable memory', fromSystem('fullScans'));
  gauge('general_profit_bytes', 'Bytes saved system-wide, net of KSM metadata', fromSystem('generalProfit'));
  gauge('process_merging_pages', 'Pages of this process currently merged', fromSelf('mergingPages'));
  gauge('process_profit_bytes', 'Bytes KSM saves for this process, net of metadata', fromSelf('profitBytes'));
  gauge('process_merge_any', '1 when process-wide merge is on for this process', fromSelf('mergeAny'));

  if (transparentModeStats().enabled) transparentModeCounters(client, registers, prefix);
}

/** Counters of what transparent mode placed and left, read from its tallies when scraped. */
function transparentModeCounters(client: PromClient, registers: Registry[], prefix: string): void {
  for (const unit of ['buffers', 'bytes'] as const) {
    new client.Counter({
      name: `${prefix}transparent_placed_${unit}_total`,
      help: `${unit === 'buffers' ? 'Buffers' : 'Bytes of Buffers'} transparent mode placed in mergeable memory`,
      registers,
      collect() {
        this.reset();
        this.inc(transparentModeStats().placed[unit]);
      },
    });
    new client.Counter({
      name: `${prefix}transparent_left_${unit}_total`,
      help: `${unit === 'buffers' ? 'Buffers' : 'Bytes of Buffers'} transparent mode left to Node, by reason`,
      labelNames: ['reason'],
      registers,
      collect() {
        this.reset();
        for (const [reason, tally] of Object.entries(transparentModeStats().left)) this.inc({ reason }, tally[unit]);
      },
    });
  }
}
