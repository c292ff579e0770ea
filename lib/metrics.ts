// Prometheus gauges for KSM, collected at scrape time: `registerKsmMetrics(registry)`.
// prom-client is an optional peer dependency, loaded only when this is called.
import type { Registry } from 'prom-client';
import { validateMetricsOptions, validateRegistry } from './args.js';
import { processStats, systemStats, type SystemStats } from './stats.js';
import { transparentModeStats, type TransparentModeClass } from './transparent.js';
import type { ProcessStats } from './types.js';

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

/** What registerKsmMetrics() takes: https://github.com/node-ksm/node-ksm/blob/main/docs/api.md#ksmmetricsoptions */
export interface KsmMetricsOptions {
  prefix?: string;
  labels?: Record<string, string>;
}

/**
 * How prom-client's AggregatorRegistry combines a metric across cluster workers. A system-wide
 * figure is one reading of one kernel, the same in every worker: summing it would multiply it
 * by the number of workers. A per-process figure is summed (the workers' own pages).
 */
type Aggregator = 'sum' | 'first' | 'max';

/** Adds the KSM metrics (node_exporter's names) to a prom-client registry: https://github.com/node-ksm/node-ksm/blob/main/docs/api.md#registerksmmetricsregistry-options-void */
export function registerKsmMetrics(registry?: Registry, options?: KsmMetricsOptions): void {
  validateRegistry(registry);
  const { prefix, labels } = validateMetricsOptions(options);
  const client = loadPromClient();
  const registers = [registry ?? client.register];
  const labelNames = Object.keys(labels);
  const system = perScrape(systemStats);
  const self = perScrape(() => processStats());
  // Which figures this kernel reports cannot change while it runs: only those get a metric, so
  // a figure an older kernel lacks is absent from the scrape rather than a false 0.
  const reported = { ...system(), ...self() } as Record<string, unknown>;

  type Read = [key: string, value: () => number | boolean | undefined];
  const metric = (kind: 'Gauge' | 'Counter', name: string, help: string, aggregator: Aggregator,
    [key, value]: Read) => {
    if (reported[key] === undefined) return;
    new client[kind]({
      name: prefix + name,
      help,
      labelNames,
      aggregator,
      registers,
      collect() {
        const current = value();
        this.reset();
        if (current === undefined) return;
        if (kind === 'Counter') (this as InstanceType<PromClient['Counter']>).inc(labels, Number(current));
        else (this as InstanceType<PromClient['Gauge']>).set(labels, Number(current));
      },
    });
  };
  const fromSystem = (key: keyof SystemStats, scale = 1): Read => [key, () => {
    const current = system()[key] as number | undefined;
    return current === undefined ? undefined : current * scale;
  }];
  const fromSelf = (key: keyof ProcessStats): Read => [key, () => self()[key]];

  metric('Gauge', 'run', 'ksmd state: 0 stopped, 1 merging, 2 stopped after unmerging everything', 'first',
    fromSystem('run'));
  metric('Gauge', 'pages_to_scan', 'Pages ksmd scans in each batch', 'first', fromSystem('pagesToScan'));
  metric('Gauge', 'sleep_seconds', 'Seconds ksmd sleeps between batches', 'first',
    fromSystem('sleepMillisecs', 1 / 1000));
  metric('Gauge', 'pages_shared', 'KSM pages in use: one per distinct merged content', 'first',
    fromSystem('pagesShared'));
  metric('Gauge', 'pages_sharing', 'Extra mappings of KSM pages: the pages saved', 'first', fromSystem('pagesSharing'));
  metric('Gauge', 'pages_unshared', 'Mergeable pages that are unique, checked repeatedly', 'first',
    fromSystem('pagesUnshared'));
  metric('Gauge', 'pages_volatile', 'Mergeable pages changing too fast to merge', 'first', fromSystem('pagesVolatile'));
  metric('Gauge', 'saved_bytes', 'Bytes saved system-wide: pages_sharing times the page size', 'first',
    fromSystem('savedBytes'));
  metric('Gauge', 'general_profit_bytes', 'Bytes saved system-wide, net of KSM metadata', 'first',
    fromSystem('generalProfit'));
  metric('Counter', 'full_scans_total', 'Completed ksmd passes over all mergeable memory', 'max',
    fromSystem('fullScans'));
  metric('Counter', 'pages_scanned_total', 'Pages ksmd has scanned', 'max', fromSystem('pagesScanned'));
  metric('Gauge', 'process_merging_pages', 'Pages of this process currently merged', 'sum', fromSelf('mergingPages'));
  metric('Gauge', 'process_profit_bytes', 'Bytes KSM saves for this process, net of metadata', 'sum',
    fromSelf('profitBytes'));
  metric('Gauge', 'process_merge_any', '1 when process-wide merge is on for this process', 'sum', fromSelf('mergeAny'));

  if (transparentModeStats().enabled) transparentModeCounters(client, registers, prefix, labels);
}

/** Counters of what transparent mode placed and left, read from its tallies when scraped. */
function transparentModeCounters(client: PromClient, registers: Registry[], prefix: string,
  labels: Record<string, string>): void {
  const labelNames = Object.keys(labels);
  for (const unit of ['buffers', 'bytes'] as const) {
    new client.Counter({
      name: `${prefix}transparent_placed_${unit}_total`,
      help: `${unit === 'buffers' ? 'Buffers' : 'Bytes of Buffers'} transparent mode placed in mergeable memory`,
      labelNames,
      registers,
      collect() {
        this.reset();
        this.inc(labels, transparentModeStats().placed[unit]);
      },
    });
    new client.Counter({
      name: `${prefix}transparent_left_${unit}_total`,
      help: `${unit === 'buffers' ? 'Buffers' : 'Bytes of Buffers'} transparent mode left to Node, by reason`,
      labelNames: [...labelNames, 'reason'],
      registers,
      collect() {
        this.reset();
        for (const [reason, tally] of Object.entries(transparentModeStats().left)) {
          this.inc({ ...labels, reason }, tally[unit]);
        }
      },
    });
  }
  const classGauge = (name: string, help: string, extra: string[],
    set: (gauge: InstanceType<PromClient['Gauge']>, state: TransparentModeClass, pages: string) => void) =>
    new client.Gauge({
      name: prefix + name,
      help,
      labelNames: [...labelNames, 'pages', ...extra],
      registers,
      collect() {
        this.reset();
        for (const state of transparentModeStats().classes) set(this, state, classLabel(state));
      },
    });
  classGauge('transparent_class_placing',
    'Whether transparent mode places Buffers of these pages now (1) or not (0), and why', ['reason'],
    (gauge, state, pages) => gauge.set({ ...labels, pages, reason: state.reason }, state.placing ? 1 : 0));
  classGauge('transparent_class_merged_ratio',
    'Share of the sampled pages of placed Buffers of these pages that ksmd merged', [],
    (gauge, state, pages) => {
      if (state.mergedShare !== undefined) gauge.set({ ...labels, pages }, state.mergedShare);
    });
}

/** A class's `pages` label: "1", "3-4", "257+". */
function classLabel({ minPages, maxPages }: TransparentModeClass): string {
  if (maxPages === undefined) return `${minPages}+`;
  return minPages === maxPages ? String(minPages) : `${minPages}-${maxPages}`;
}
