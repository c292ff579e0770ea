'use strict';
// npm's install step. KSM exists only on Linux, so elsewhere there is nothing to compile:
// the package installs, imports, and reports KSM as unsupported at run time.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

if (process.platform !== 'linux') {
  console.log(`node-ksm: KSM is Linux-only; skipping the native build on ${process.platform}.`);
  process.exit(0);
}

const nodeGyp = require.resolve('node-gyp/bin/node-gyp.js');
const args = [nodeGyp, 'rebuild'];
// Build against the running Node's own headers when they are installed beside it, so no
// header download is needed (npm passes its `nodedir` setting itself).
const prefix = path.resolve(process.execPath, '..', '..');
if (!process.env.npm_config_nodedir && fs.existsSync(path.join(prefix, 'include', 'node', 'node_api.h'))) {
  args.push(`--nodedir=${prefix}`);
}
const result = spawnSync(process.execPath, args, { stdio: 'inherit' });
if (result.error) throw result.error;
process.exit(result.status ?? 1);
