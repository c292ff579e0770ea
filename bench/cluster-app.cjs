// node [-r node-ksm/register] cluster-app.cjs PORT PAGES STATIC_FILE: a cluster app that knows
// nothing of node-ksm. 4 workers each cache PAGES rendered pages of 6-48 KiB (the same in every
// worker), and serve /page/N from the cache, /static by reading STATIC_FILE on each request, and
// /api/N as a JSON body built per request. The primary prints "ready PID..." once every worker
// listens, and stops them all when stdin closes.
const cluster = require('node:cluster');
const fs = require('node:fs');
const http = require('node:http');

const [port, pages, staticFile] = process.argv.slice(2);
const WORKERS = 4;

/** Page `id`: one to eight rendered tables, 6 KiB each. */
function render(id) {
  const rows = Array.from({ length: 96 }, (_, i) => `<tr><td>${i}</td><td>item-${(i * 7919 + id) % 1000}</td><td>${id}</td></tr>`);
  const table = `<table>${rows.join('')}</table>`.padEnd(6 * 1024, ' ').slice(0, 6 * 1024);
  return table.repeat(1 + (id % 8));
}

if (cluster.isPrimary) {
  const workers = Array.from({ length: WORKERS }, () => cluster.fork());
  let listening = 0;
  cluster.on('listening', () => {
    if (++listening === WORKERS) process.stdout.write(`ready ${workers.map((w) => w.process.pid).join(' ')}\n`);
  });
  process.stdin.resume();
  process.stdin.on('end', () => {
    for (const worker of workers) worker.kill();
    process.exit(0);
  });
} else {
  const cache = Array.from({ length: Number(pages) }, (_, id) => Buffer.from(render(id)));
  http.createServer((request, response) => {
    const [, route, id] = request.url.split('/');
    let body;
    if (route === 'page') body = cache[Number(id) % cache.length];
    else if (route === 'static') body = fs.readFileSync(staticFile);
    else body = Buffer.from(JSON.stringify({ id: Number(id), items: Array.from({ length: 200 }, (_, i) => ({ i, name: `item-${i * Number(id)}` })) }));
    response.writeHead(200, { 'content-length': body.length });
    response.end(body);
  }).listen(Number(port));
}
