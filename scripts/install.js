'use strict';
// npm's install step. KSM exists only on Linux, so elsewhere there is nothing to compile:
// the package installs, imports, and reports KSM as unsupported at run time.
const { spawnSync } = require('node:child_process');

if (process.platform !== 'linux') {
  console.log(`node-ksm: KSM is Linux-only; skipping the native build on ${process.platform}.`);
  process.exit(0);
}

const nodeGyp = require.resolve('node-gyp/bin/node-gyp.js');
const result = spawnSync(process.execPath, [nodeGyp, 'rebuild'], { stdio: 'inherit' });
if (result.error) throw result.error;
process.exit(result.status ?? 1);
