// Which of Node's own APIs transparent mode places, on the Node running this test: the API
// reference's table says it per version, and this test measures the running version's column.
// A new Node that changes what its APIs call fails here, naming the row to change.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../helpers/child.js';
import { fixture } from '../helpers/paths.js';
import { linux } from '../helpers/platform.js';

const major = Number(process.versions.node.split('.')[0]);
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'node-ksm-node-apis-'));
afterAll(() => fs.rmSync(scratch, { recursive: true, force: true }));

/** docs/api.md's table: for each API, and each Node major it has a column for, placed or not. */
function documentedTable(): { majors: number[]; rows: Map<string, boolean[]> } {
  const text = fs.readFileSync(path.join(packageRoot, 'docs', 'api.md'), 'utf8');
  const lines = text.slice(text.indexOf('<!-- node-apis:')).split('\n').slice(1).map((line) => line.trim());
  const cells = (line: string) => line.split('|').slice(1, -1).map((cell) => cell.trim());
  const majors = cells(lines[0]).slice(1).map((head) => Number(head.replace('Node ', '')));
  const rows = new Map<string, boolean[]>();
  for (const line of lines.slice(2)) {
    if (!line.startsWith('|')) break;
    const [api, ...values] = cells(line);
    rows.set(api.replace(/`/g, ''), values.map((value) => value === 'placed'));
  }
  return { majors, rows };
}

describe.skipIf(!linux)('Node\'s own APIs in transparent mode', () => {
  it(`on Node ${major}, each API places its result exactly as docs/api.md says`, () => {
    const { majors, rows } = documentedTable();
    expect(rows.size).toBeGreaterThanOrEqual(10);
    const column = majors.indexOf(major);
    expect(column, `docs/api.md's table has no column for Node ${major}: measure it and add one`).toBeGreaterThanOrEqual(0);
    const result = spawnSync(process.execPath, ['-r', 'node-ksm/register', fixture('node-apis.cjs'), scratch], {
      cwd: packageRoot,
      encoding: 'utf8',
      env: { ...process.env, NODE_KSM_MERGE: 'buffers', NODE_KSM_BUFFER_THRESHOLD: undefined, NODE_KSM_PLACEMENT: 'always' },
    });
    expect(result.status, result.stderr).toBe(0);
    const measured = JSON.parse(result.stdout) as Record<string, boolean>;
    const documented = Object.fromEntries([...rows].map(([api, values]) => [api, values[column]]));
    expect(measured).toEqual(documented);
  });
});
