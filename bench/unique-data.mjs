// Transparent mode where it cannot help: data that never repeats. RSS of an app holding 128 MiB
// of unique Buffers, in the mode against plain Node, run side by side: with ksmd stopped, and with
// ksmd running after 60 s of steady replacement (time for the mode to judge the size and stop
// placing it, and for what it placed to be replaced and given back).
import { ksmd } from 'node-ksm';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const CHILD = fileURLToPath(new URL('unique-child.cjs', import.meta.url));
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const MODE = { NODE_KSM_MERGE: 'buffers' };

/** Runs the child to its end; resolves with its report. */
function run(args, env, preload) {
  const child = spawn(process.execPath, [...(preload ? ['-r', 'node-ksm/register'] : []), '--expose-gc', CHILD, ...args.map(String)],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...env } });
  let out = '';
  child.stdout.on('data', (chunk) => { out += chunk; });
  return new Promise((resolve, reject) => child.once('exit', (code) => (code === 0
    ? resolve(JSON.parse(out.trim().split('\n').pop())) : reject(new Error(`unique-child ${args} exited with ${code}`)))));
}

export async function uniqueDataFigures({ quick }) {
  const mib = quick ? 16 : 128;
  const sizes = quick ? [6144] : [4097, 6144, 16385];
  const figures = [];
  for (const [condition, run_, seconds, goal] of [['ksmd stopped', 0, quick ? 2 : 5, 1.05], ['ksmd running', 1, quick ? 10 : 60, 1.15]]) {
    const restore = ksmd.override({ run: run_ });
    try {
      for (const size of sizes) {
        process.stderr.write(`bench: transparent mode, unique data: ${size} B, ${condition}...\n`);
        // Side by side: the plain app's RSS does not depend on ksmd, and this halves the wait.
        const [plain, mode] = await Promise.all([run([size, mib, seconds], {}, false), run([size, mib, seconds], MODE, true)]);
        // While ksmd is stopped the mode steps aside: Node's own factories, nothing counted.
        const decided = !mode.decided ? 'nothing decided' : mode.decided.reason === 'ksmdStopped'
          ? `ksmdStopped, ${mode.decided.placed.buffers} placed, mode stepped aside`
          : `${mode.decided.reason}, ${mode.decided.placed.buffers} placed, ${mode.decided.notPlaced.buffers} left to Node`;
        figures.push({ figure: `transparent mode: RSS with ${mib} MiB of unique ${size}-byte Buffers, ${condition}` +
          (run_ ? `, after ${seconds} s of replacement` : ''), ours: mode.rssBytes / 2 ** 20, baseline: plain.rssBytes / 2 ** 20,
        unit: 'MiB', goal, note: decided });
      }
    } finally {
      restore();
    }
  }
  return figures;
}
