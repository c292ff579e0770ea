'use strict';
// A cluster of workers that each hold the same data in mergeable memory, with one /metrics
// endpoint for all of them: Express on the primary, prom-client's AggregatorRegistry asking
// every worker for its metrics at each scrape.
//
//   node examples/metrics-cluster.cjs            # http://127.0.0.1:9100/metrics
//   PORT=0 WORKERS=2 node examples/metrics-cluster.cjs
//
// node-ksm/metrics tells the aggregator how to combine each metric: the system-wide figures
// (ksm_pages_sharing, ...) are one kernel's, so every worker reports the same and they are not
// summed; this process's figures (ksm_process_merging_pages, ...) add up across the workers.
const cluster = require('node:cluster');
const express = require('express');
const { AggregatorRegistry, register } = require('prom-client');
const { mergeableFrom } = require('node-ksm');
const { registerKsmMetrics } = require('node-ksm/metrics');

const workers = Number(process.env.WORKERS ?? 4);
// Made in every process: in the primary it asks the workers, in a worker it answers (prom-client
// listens for the primary's requests only once an AggregatorRegistry exists there).
const aggregator = new AggregatorRegistry();

if (cluster.isPrimary) {
  const app = express();
  app.get('/metrics', async (_request, response) => {
    try {
      const text = await aggregator.clusterMetrics();
      response.set('Content-Type', aggregator.contentType).send(text);
    } catch (error) {
      response.status(500).send(String(error));
    }
  });
  let ready = 0;
  cluster.on('message', (_worker, message) => {
    if (message === 'ready' && ++ready === workers) {
      const server = app.listen(Number(process.env.PORT ?? 9100), '127.0.0.1', () => {
        const pids = Object.values(cluster.workers).map((worker) => worker.process.pid);
        console.log(`metrics on http://127.0.0.1:${server.address().port}/metrics (workers ${pids.join(' ')})`);
      });
      const stop = () => {
        server.close();
        for (const worker of Object.values(cluster.workers)) worker.kill();
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    }
  });
  for (let i = 0; i < workers; i++) cluster.fork();
} else {
  // Each worker registers into the default registry, which the aggregator collects from.
  registerKsmMetrics(register, { labels: { app: 'metrics-example' } });
  // The data every worker holds: 4 MiB of one template, in mergeable memory, kept alive.
  const template = Buffer.alloc(4 * 1024 * 1024, 'the same rendered template in every worker ');
  globalThis.sharedData = mergeableFrom(template);
  process.send('ready');
}
