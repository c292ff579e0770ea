// Direct reads of /proc, independent of the library, for tests to compare against.
import fs from 'node:fs';

/** /proc/<pid>/ksm_stat as name -> raw value text; empty where this kernel has no ksm_stat (before 6.1). */
export function readKsmStat(pid: number | 'self' = 'self'): Record<string, string> {
  const fields: Record<string, string> = {};
  let text = '';
  try {
    text = fs.readFileSync(`/proc/${pid}/ksm_stat`, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  for (const line of text.split('\n')) {
    const match = /^(\w+):?\s+(\S+)$/.exec(line.trim());
    if (match) fields[match[1]] = match[2];
  }
  return fields;
}

interface SmapsMapping { range: string; start: number; bytes: number; rss: number; flags: string[] }

/** Each mapping of /proc/self/smaps: where it starts, its size and resident bytes, and its VmFlags. */
export function readSmapsMappings(): SmapsMapping[] {
  const mappings: SmapsMapping[] = [];
  for (const line of fs.readFileSync('/proc/self/smaps', 'utf8').split('\n')) {
    const header = /^([0-9a-f]+)-([0-9a-f]+) /.exec(line);
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (header) {
      mappings.push({ range: `${header[1]}-${header[2]}`, start: Number(BigInt(`0x${header[1]}`)),
        bytes: Number(BigInt(`0x${header[2]}`) - BigInt(`0x${header[1]}`)), rss: 0, flags: [] });
    } else if (rss) {
      mappings[mappings.length - 1].rss = Number(rss[1]) * 1024;
    } else if (line.startsWith('VmFlags:')) {
      mappings[mappings.length - 1].flags = line.slice('VmFlags:'.length).trim().split(/\s+/);
    }
  }
  return mappings;
}

export function countMaps(): number {
  return fs.readFileSync('/proc/self/maps', 'utf8').split('\n').filter(Boolean).length;
}

/**
 * Why a test cannot run under AddressSanitizer (npm run test:asan), or undefined. ASan reserves
 * terabytes of shadow mappings and needs mappings of its own for every allocation.
 */
export function underSanitizer(why: string): string | undefined {
  return process.env.LD_PRELOAD?.includes('libasan') ? `skipped under AddressSanitizer: ${why}` : undefined;
}
