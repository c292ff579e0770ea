// The system's page size, asked of the system itself (getconf), never assumed: 4 KiB on x86-64,
// 16 KiB or 64 KiB on some arm64 kernels. Plain JavaScript so the bench can share it.
'use strict';
const { execFileSync } = require('node:child_process');

/** Bytes per page; 4096 where there is no getconf (not Linux: nothing here reads pages). */
const PAGE_SIZE = process.platform === 'linux' ? Number(execFileSync('getconf', ['PAGESIZE'], { encoding: 'utf8' })) : 4096;

module.exports = { PAGE_SIZE };
