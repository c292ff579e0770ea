// Where the tests run: the platform, the user, whether the kernel has KSM. Plain facts only, so
// that importing this never loads the addon (kernel.ts asks the addon, at import).
import fs from 'node:fs';
import { KSM_SYSFS } from '../../lib/kernel/files.js';

/** ksmd's settings and counters in sysfs: /sys/kernel/mm/ksm. */
export { KSM_SYSFS };

/** The tests run on Linux, the only kernel with KSM. */
export const linux = process.platform === 'linux';

/** The tests run as root on Linux: they may write ksmd's files and run children as other users. */
export const root = linux && process.getuid?.() === 0;

/** This kernel has KSM (CONFIG_KSM): /sys/kernel/mm/ksm/run exists. */
export const hasKsm = linux && fs.existsSync(`${KSM_SYSFS}/run`);
